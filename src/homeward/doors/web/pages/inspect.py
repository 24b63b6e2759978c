"""Pages: inspect (being built)."""

from fastapi import APIRouter

router = APIRouter()
