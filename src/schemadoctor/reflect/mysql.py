"""Batched catalog reader for mysql."""

from __future__ import annotations

from schemadoctor.reflect.inspector import reflect_schemas

__all__ = ["reflect_schemas"]
