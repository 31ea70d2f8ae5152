"""The static results site (``mmrepro report``): pages built only from run records and claims, no server and no
JavaScript, byte-identical for the same records so that it can be committed and diffed."""
