"""The dashboard's pages, listed once: ``app.py`` builds its menu from them and ``widgets.link`` links to them.

Each page is served at ``/<name>``, except Home: Streamlit reserves the default page's url_path without serving
it, so Home is served at ``/`` under the url_path "start", and a hidden page sends ``/home`` (typed, bookmarked,
old links) to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageInfo:
    name: str  # what links call it, and its url
    title: str
    icon: str
    script: str | None = None  # the page's file in pages/, when it is not called ``name``

    @property
    def path(self) -> str:
        """The page's script, relative to app.py."""
        return f"pages/{self.script or self.name}.py"


# In menu order; the first is the default page.
PAGES = (
    PageInfo("home", "Home", ":material/home:"),
    PageInfo("train", "Train", ":material/model_training:"),
    PageInfo("compare", "Compare", ":material/bar_chart:"),
    PageInfo("inspect", "Inspect", ":material/search:"),
    PageInfo("draw", "Draw", ":material/draw:"),
    PageInfo("map", "Map", ":material/scatter_plot:"),
    PageInfo("sweep", "Sweep", ":material/tune:"),
    PageInfo("learn", "Learn", ":material/school:"),
)
# A class's pages: listed in the menu in class mode only (see ``mnistlab.app.identity.class_pages``).
LEADERBOARD = PageInfo("leaderboard", "Leaderboard", ":material/leaderboard:")
CLASS = PageInfo("class", "Class", ":material/groups:", script="class_room")
HOME_URL = "start"


def page_path(name: str) -> str:
    """The script of the page called ``name`` (``KeyError`` for a page that does not exist)."""
    return {page.name: page.path for page in (*PAGES, LEADERBOARD, CLASS)}[name]


def app_pages(extra: tuple | list = ()) -> list:
    """The ``st.Page`` objects for ``st.navigation``: every page, ``extra`` ones (the class's), then the hidden
    /home redirect."""
    home, *others = PAGES
    default = st.Page(home.path, title=home.title, icon=home.icon, default=True, url_path=HOME_URL)
    pages = [default, *(st.Page(p.path, title=p.title, icon=p.icon, url_path=p.name) for p in others)]
    # Hidden, so the menu lists Home once.
    return [
        *pages,
        *extra,
        st.Page(lambda: st.switch_page(default), title=home.title, url_path="home", visibility="hidden"),
    ]
