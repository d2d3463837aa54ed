from importlib import metadata
from typing import ClassVar

import pytest

import tabgan.estimator.adapters as adapters
from tabgan import BaseAdapter, VectorAdapter, available_adapters, get_adapter, register


def _ep(name, value):
    return metadata.EntryPoint(name=name, value=value, group=adapters.ENTRY_POINT_GROUP)


def test_builtin_vector_adapter_is_registered_and_follows_the_contract():
    assert get_adapter("vector") is VectorAdapter
    assert isinstance(VectorAdapter(), BaseAdapter)
    assert "vector" in available_adapters()


def test_register_refuses_a_class_that_is_no_adapter():
    with pytest.raises(TypeError, match="must subclass tabgan.BaseAdapter"):

        @register
        class Loose:
            name: ClassVar[str] = "loose"


def test_an_adapter_that_skips_a_required_hook_cannot_be_made():
    class Half(BaseAdapter):
        name: ClassVar[str] = "half"

        def _fit(self, data, y, rng):
            pass

    with pytest.raises(TypeError, match="abstract"):
        Half()


def test_register_needs_a_name_and_refuses_a_clash():
    with pytest.raises(TypeError, match="non-empty string class attribute `name`"):

        @register
        class Nameless(BaseAdapter):
            pass

    with pytest.raises(ValueError, match="'vector' is already registered"):

        @register
        class Impostor(BaseAdapter):
            name: ClassVar[str] = "vector"


def test_entry_points_load_on_first_miss(monkeypatch):
    monkeypatch.setattr(adapters, "_REGISTRY", dict(adapters._REGISTRY))
    monkeypatch.setattr(adapters, "_entry_points", lambda: [_ep("vector2", "tests_fake:missing")])

    class Vector2(VectorAdapter):
        name: ClassVar[str] = "vector2"

    monkeypatch.setattr(metadata.EntryPoint, "load", lambda self: Vector2)
    assert get_adapter("vector2") is Vector2
    assert "vector2" in available_adapters()


def test_a_broken_entry_point_fails_loudly_naming_itself(monkeypatch):
    monkeypatch.setattr(
        adapters, "_entry_points", lambda: [_ep("broken", "no_such_module_xyz:Adapter")]
    )
    with pytest.raises(
        ImportError, match="'broken' = 'no_such_module_xyz:Adapter'.*failed to load"
    ):
        get_adapter("broken")


def test_an_entry_point_whose_class_has_another_name_is_refused(monkeypatch):
    monkeypatch.setattr(
        adapters, "_entry_points", lambda: [_ep("odd", "tabgan.estimator.vector:VectorAdapter")]
    )
    with pytest.raises(TypeError, match="must agree"):
        get_adapter("odd")


def test_unknown_adapter_lists_the_available_ones():
    with pytest.raises(ValueError, match="Unknown adapter 'nope'. Available adapters: .*vector"):
        get_adapter("nope")


def test_adapters_of_this_package_are_entry_points_not_core_imports():
    names = {ep.name: ep.value for ep in adapters._entry_points()}
    assert names.get("tabular") == "tabgan.plugins.tabular:TabularAdapter"
    assert names.get("audio") == "tabgan.plugins.audio:AudioAdapter"
    assert names.get("text") == "tabgan.plugins.text:TextAdapter"
