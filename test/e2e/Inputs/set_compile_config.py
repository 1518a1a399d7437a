"""Copies a .keras file with parts of its compile_config replaced: a test's
way to a training configuration Keras would not write, or that kiln must
refuse.

    set_compile_config.py IN.keras OUT.keras KEY=JSON ...
"""
import json
import sys
import zipfile


def main():
    source, target, *settings = sys.argv[1:]
    with zipfile.ZipFile(source) as zin:
        entries = {name: zin.read(name) for name in zin.namelist()}
    config = json.loads(entries["config.json"])
    for setting in settings:
        key, _, value = setting.partition("=")
        config["compile_config"][key] = json.loads(value)
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w") as zout:
        for name, data in entries.items():
            zout.writestr(name, data)


if __name__ == "__main__":
    main()
