"""Reference models, one module each; importing the package registers them."""
