"""Batched catalog reader for postgresql."""

from __future__ import annotations

from schemadoctor.reflect.inspector import reflect_schemas

__all__ = ["reflect_schemas"]
