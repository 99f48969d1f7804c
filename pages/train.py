"""Train: pick a preset or build an architecture, set hyperparameters, and watch training live."""

import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.app import builder, draft, jobs_view, train_form
from mnistlab.app import train_settings as keys
from mnistlab.app.dataset_view import dataset_picker
from mnistlab.app.export_view import code_view
from mnistlab.app.state import ensure_app_navigation
from mnistlab.app.widgets import show_error
from mnistlab.labels import user_words

ensure_app_navigation()
st.title("Train")
draft.ensure_draft()
dataset, missing = dataset_picker(
    keys.DATASET,
    "Train on",
    help="MNIST's handwritten digits (bundled), or Fashion-MNIST's clothes: the same 28×28 images, and harder. "
    "A preset's settings follow the set (Fashion-MNIST's networks train longer).",
    on_change=keys.follow_dataset,
    args=(draft.preset_name(),),
)
data = choice.dataset_of(dataset)
st.caption(choice.training_note(dataset))

arch_col, summary_col = st.columns([3, 2], gap="large")
with arch_col:
    st.subheader("Architecture")
    draft.preset_box()
    st.caption(
        f"Input 28×28 → your hidden layers → Dense({data.num_classes}, softmax): one output per class of "
        f"{data.title}. Flatten is added before the first dense layer when needed."
    )
    draft.layer_editor()

spec, spec_error = draft.draft_spec()
preset = draft.preset_name()
with summary_col:
    st.subheader("Model summary")
    if spec_error:
        show_error(user_words(spec_error))
    else:
        st.metric(
            "Trainable parameters",
            f"{builder.total_params(spec, data.num_classes):,}",
            help=f"Weights and biases the optimizer learns; the output Dense({data.num_classes}) is included.",
        )
        st.dataframe(
            builder.summary_rows(spec, data.num_classes),
            hide_index=True,
            column_config={
                "Parameters": st.column_config.NumberColumn(format="localized"),
                "Output shape": st.column_config.TextColumn("Shape"),  # a short header: fits at 800 px
            },
        )
        st.caption(f"{'Preset ' + repr(preset) if preset else 'Custom architecture'}: {spec.summary()}")

st.subheader("Training")
settings = train_form.settings_form(preset, dataset, missing)
code_view(spec, train_form.code_settings(settings), key="train_code")
if settings.start:
    train_form.start_training(settings, spec, spec_error, preset)

st.subheader("Trainings")
jobs_view.trainings()
