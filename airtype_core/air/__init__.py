"""Air writing: a fingertip in front of a webcam becomes an ink.

`hand_tracking` turns hand landmarks into pen strokes (pinch = pen down, pause or
open hand = end of character); `camera` runs MediaPipe on video frames and
draws the trail; `synthetic_hands` generates landmark sequences for tests,
benchmarks and the replay demo. Imports `recognition` only.
"""
