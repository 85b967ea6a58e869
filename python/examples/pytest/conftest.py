# faultline's plugin, for a package installed by `faultline python --install`,
# which writes no entry points. (pip install ./python registers it by its
# pytest11 entry point, and this line is then harmless.)
pytest_plugins = ["faultline.pytest_plugin"]
