"""Pages: wizard (being built)."""

from fastapi import APIRouter

router = APIRouter()
