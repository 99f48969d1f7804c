"""Who is who on a shared server: people, the class roster, permissions, class limits and the challenge.

No Streamlit here. Pages find out who the browser is (``mnistlab.app.identity``) and hand the ``Person`` to the
runner and the stores, which ask ``may_change`` before every change and refuse with ``NotAllowed``.
"""

from mnistlab.people.person import MACHINE, NotAllowed, Person, check_may_change, owner_of

__all__ = ["MACHINE", "NotAllowed", "Person", "check_may_change", "owner_of"]
