"""Spec serialization and the per-process cache of built specs.

A published version stores its spec once, as a dict. Workers rebuild the spec objects from that dict
the first time they need a version and keep them: no spec is parsed, converted or restored per step.
"""
import threading
from dataclasses import dataclass
from functools import lru_cache

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)


@dataclass(frozen=True)
class SpecBundle:
    process_id: str
    spec: object
    subprocess_specs: dict


def spec_to_dict(spec, subprocess_specs: dict) -> dict:
    return {
        "spec": REGISTRY.convert(spec),
        "subprocess_specs": {name: REGISTRY.convert(s) for name, s in subprocess_specs.items()},
    }


def spec_from_dict(process_id: str, dct: dict) -> SpecBundle:
    spec = REGISTRY.restore(dict(dct["spec"]))
    subs = {name: REGISTRY.restore(dict(s)) for name, s in dct["subprocess_specs"].items()}
    return SpecBundle(process_id, spec, subs)


class SpecCache:
    """Built spec objects per published version id (versions are immutable, so entries never go stale)."""

    def __init__(self, size: int = 128):
        self._lock = threading.Lock()
        self._get = lru_cache(maxsize=size)(self._build)
        self._loaders = {}

    def _build(self, version_id: int) -> SpecBundle:
        process_id, dct = self._loaders.pop(version_id)()
        return spec_from_dict(process_id, dct)

    def get(self, version_id: int, loader) -> SpecBundle:
        """loader() -> (process_id, spec dict); called only on a cache miss."""
        with self._lock:
            self._loaders[version_id] = loader
            try:
                return self._get(version_id)
            finally:
                self._loaders.pop(version_id, None)

