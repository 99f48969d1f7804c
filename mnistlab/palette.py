"""The project's colours, used by the dashboard's Plotly charts and the study's PNG figures alike."""

PALETTE = (
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#E45756",
    "#72B7B2",
    "#B279A2",
    "#FF9DA6",
    "#9D755D",
    "#BAB0AC",
    "#EECA3B",
)
BLUE, ORANGE, GREEN, RED = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3]
TRAIN, VALIDATION = BLUE, ORANGE
HIGHLIGHT = "#D62728"  # the predicted digit, a mistake: a deeper red than the series colour, legible as text
MUTED = "#9ECAE9"  # the bars that are not the point
NOTEBOOK = "#9E9E9E"
RIGHT = "#1B7A1B"
