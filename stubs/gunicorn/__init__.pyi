# Types of the part of gunicorn 27 that Engage uses (engage/ops: `engage serve` and its access
# logger); the package ships none. Checked against gunicorn/app/base.py, glogging.py and
# config.py of that release.

version_info: tuple[int, int, int]
__version__: str
