"""Local sandboxes of the platforms Sotong listens on, for the demo and for training a new centre.

Each sandbox speaks its platform's documented API to Sotong (as the test fakes do) and shows a citizen's side of
it as a small Korean page. Like the fakes, this package imports nothing from `sotong`, so a sandbox can disagree
with the product and show where it is wrong; the app mounts it outside production only.
"""
