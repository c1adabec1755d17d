from fastapi import APIRouter

router = APIRouter(tags=["Rental application groups"])
