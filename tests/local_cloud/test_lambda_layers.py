"""Lambda layers on the local cloud: a layer's python/ is on the function's import path, as
Lambda puts /opt/python there, after the function's own code.

GIVEN layers published with PublishLayerVersion and functions that name them
WHEN the functions are invoked
THEN their handlers import the layers' modules, in AWS's order of precedence.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

HANDLER = """
import importlib

def handler(event, context):
    found = {}
    for name in event["modules"]:
        try:
            found[name] = importlib.import_module(name).VALUE
        except ImportError as error:
            found[name] = f"ImportError: {error}"
    return found
"""


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def publish(aws: Callable[[str], Any], name: str, files: dict[str, str]) -> str:
    layer = aws("lambda").publish_layer_version(
        LayerName=name,
        Content={"ZipFile": zipped(files)},
        CompatibleRuntimes=["python3.12"],
    )
    return str(layer["LayerVersionArn"])


def create(aws: Callable[[str], Any], role_arn: str, layers: list[str]) -> str:
    name = f"layered-{uuid.uuid4().hex[:8]}"
    aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={
            "ZipFile": zipped({"handler.py": HANDLER, "shadowed.py": "VALUE = 'function code'\n"})
        },
        Timeout=10,
        Layers=layers,
    )
    return name


def imported(aws: Callable[[str], Any], function: str, *modules: str) -> dict[str, str]:
    response = aws("lambda").invoke(
        FunctionName=function, Payload=json.dumps({"modules": list(modules)})
    )
    assert "FunctionError" not in response, response["Payload"].read()
    result: dict[str, str] = json.loads(response["Payload"].read())
    return result


def test_a_layers_python_dir_and_site_packages_are_importable(
    aws: Callable[[str], Any], role_arn: str
) -> None:
    # GIVEN a layer with a module under python/ and one under python/lib/python3.12/site-packages
    layer = publish(
        aws,
        f"deps-{uuid.uuid4().hex[:8]}",
        {
            "python/layered.py": "VALUE = 'python dir'\n",
            "python/lib/python3.12/site-packages/sitepkg.py": "VALUE = 'site-packages'\n",
            "python/shadowed.py": "VALUE = 'layer'\n",
        },
    )
    with_layer = create(aws, role_arn, [layer])
    without_layer = create(aws, role_arn, [])

    # WHEN the functions import them
    found = imported(aws, with_layer, "layered", "sitepkg", "shadowed")
    missing = imported(aws, without_layer, "layered")

    # THEN the layer's modules import, the function's own code comes first, and a function
    # without the layer cannot see it
    assert found == {
        "layered": "python dir",
        "sitepkg": "site-packages",
        "shadowed": "function code",
    }
    assert missing["layered"].startswith("ImportError")


def test_a_later_layer_wins_and_a_new_layer_version_reaches_the_function(
    aws: Callable[[str], Any], role_arn: str
) -> None:
    # GIVEN two layers that both hold both.py, the second one listed last
    name = f"versions-{uuid.uuid4().hex[:8]}"
    first = publish(aws, f"{name}-a", {"python/both.py": "VALUE = 'first'\n"})
    second = publish(aws, f"{name}-b", {"python/both.py": "VALUE = 'second'\n"})
    function = create(aws, role_arn, [first, second])
    assert imported(aws, function, "both") == {"both": "second"}  # extracted last: it wins

    # WHEN a new version of the first layer is published and the function moves to it alone
    newer = publish(aws, f"{name}-a", {"python/both.py": "VALUE = 'first, version 2'\n"})
    assert newer.endswith(":2")
    aws("lambda").update_function_configuration(FunctionName=function, Layers=[newer])
    aws("lambda").get_waiter("function_updated_v2").wait(FunctionName=function)

    # THEN the next invocation runs with the new version (its warm workers were dropped)
    assert imported(aws, function, "both") == {"both": "first, version 2"}
