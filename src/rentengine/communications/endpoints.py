from fastapi import APIRouter

router = APIRouter(tags=["Calls and messages"])
