"""Recognition: from an ink to a character.

`ink` (strokes and their readers for the canvas) -> `features` (the 50 x 7 model
input) -> `model` (BiLSTM + attention) -> `predictor` (loads the active version
from `modelstore`, returns a `Prediction`). `calibration` turns logits into honest
confidences; `evaluation` measures a predictor on labelled inks.

This floor stands alone: it imports neither `storage` nor `learning`.
"""
