"""Map: the 10,000 test digits in 2-D from a layer's activations; click a digit to see it and its neighbours."""

import streamlit as st

from mnistlab import dataset_choice as choice
from mnistlab.app.map_charts import COLOUR_BY, clicked_index, map_figure
from mnistlab.app.map_compare import layer_by_layer, side_by_side
from mnistlab.app.map_view import choose_map, map_or_progress, point_detail, query_cell
from mnistlab.app.state import ensure_app_navigation, get_store
from mnistlab.app.widgets import list_runs_safely, no_runs_yet, query_run, run_picker, show_problems
from mnistlab.maps import METHOD_NAMES
from mnistlab.maps.reading import cell_indices

ensure_app_navigation()
POINT = "map_point"

st.title("Map")
st.caption(
    "Every test image placed by what the network makes of it: images it sees as alike land close together. "
    "Crosses mark its mistakes. Click a point to see it."
)
store = get_store()
runs = [run for run in list_runs_safely(store) if run.has_model]
if not runs:
    no_runs_yet("No trained model to map yet")
    st.stop()

default = query_run(runs) or max(runs, key=lambda run: run.test_accuracy or 0).id
run = run_picker("Run", runs, default=default, key="map_run")
names, item = choice.class_names(run.dataset), choice.item_word(run.dataset)
if st.query_params.get("run") != run.id:
    st.query_params["run"] = run.id
if st.session_state.get("map_point_run") != run.id:  # a digit picked on another run's map
    st.session_state.pop(POINT, None)
    st.session_state["map_point_run"] = run.id

request = choose_map(run, key="map")
run_map = map_or_progress(request, key="map") if request is not None else None
if run_map is None:
    show_problems(store)
    st.stop()

colour_by = st.segmented_control(
    "Colour by", list(COLOUR_BY), default="true", format_func=COLOUR_BY.get, key="map_colour", required=True
)
cell = query_cell(len(names))
highlight = cell_indices(run_map, *cell) if cell else None
if cell:
    st.info(
        f"Ringed: the **{len(highlight)}** test {item}s of **{names[cell[0]]}** read as **{names[cell[1]]}** "
        "(from Inspect's confusion matrix).",
        icon=":material/radio_button_unchecked:",
    )

map_col, detail_col = st.columns([3, 2], gap="large")
with map_col:
    event = st.plotly_chart(
        map_figure(
            run_map,
            colour_by,
            highlight=highlight,
            highlight_name=f"{names[cell[0]]}→{names[cell[1]]}" if cell else "",
            selected=st.session_state.get(POINT),
            class_names=names,
        ),
        key="map_chart",
        on_select="rerun",
        selection_mode="points",
        config={"displayModeBar": False, "scrollZoom": True},
    )
    info = run_map.info
    st.caption(
        f"{METHOD_NAMES[info['method']]} of layer {info['layer']} ({info['values_per_digit']:,} values per digit) · "
        f"{info['points']:,} test {item}s of {choice.title(run.dataset)} · {int(run_map.wrong.sum())} mistakes · "
        "computed in "
        f"{info['seconds']:.1f} s."
    )
picked = clicked_index(event.selection.points if event and event.selection else [])
if picked is not None and picked != st.session_state.get(POINT):
    st.session_state[POINT] = picked
    st.rerun()  # draw the star on the picked digit
with detail_col:
    if st.session_state.get(POINT) is None:
        st.info(
            f"Click any {item} on the map to see it, its probabilities and its neighbours.",
            icon=":material/touch_app:",
        )
    else:
        point_detail(run, run_map, st.session_state[POINT])

st.subheader("Layer by layer")
st.caption(
    "The same digits placed by the raw pixels, then by each hidden layer: as the network transforms them, "
    "digits of one kind gather and the clusters tighten."
)
layer_by_layer(run, request.method)
st.subheader("Two runs side by side")
side_by_side([r for r in runs if r.dataset == run.dataset], run, request.method)  # one test set

show_problems(store)
