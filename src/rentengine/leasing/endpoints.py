from fastapi import APIRouter

router = APIRouter(tags=["Leasing events"])
