"""Learning: new model versions from handwriting.

`trainer` is the plain training loop every kind of training shares. `pretrain`
builds the shipped model from synthetic ink (`synth`, `glyphs`) and real ink.
Training from the user's answers: `options` (what the user chooses), `trainset`
(stored samples in, tensors out), `readiness` (is there enough to train on),
`run` (one run, from samples to a verdict), `jobs` (that run in a background
process, one at a time). `versions` lists, activates and rolls back the models
they make, and records that in the database, so this floor sits above `storage`.
"""
