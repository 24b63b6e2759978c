"""Pages: products (being built)."""

from fastapi import APIRouter

router = APIRouter()
