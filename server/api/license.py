"""``/system/license``: install, inspect and remove the enterprise license."""

from flask import request
from pydantic import BaseModel, Field

from license import status_to_dict

from ..services import licensing
from ..services.seats import active_full_seats
from . import api
from .routing import endpoint


class InstallLicense(BaseModel):
    license: str = Field(min_length=1, description="The license token (a signed JWT).")
    allow_older: bool = Field(
        default=False, description="Confirm replacing the current license with an older one."
    )


def _status_body():
    status = licensing.current_status()
    body = status_to_dict(status)
    body["source"] = licensing.license_source()
    body["managed_by_environment"] = body["source"] == "environment"
    body["features"] = sorted(status.features)
    body["seats"] = {"used": active_full_seats(), "licensed": licensing.seat_limit()}
    return body


@endpoint(
    api,
    "/system/license",
    "GET",
    permission="system:license",
    summary="License status: edition, customer, expiry, seats used/licensed, features, state",
)
def get_license():
    return _status_body()


@endpoint(
    api,
    "/system/license",
    "PUT",
    permission="system:license",
    body=InstallLicense,
    accepts_raw=True,
    summary="Install a license: JSON {license} or the license file as the request body",
)
def put_license(body: InstallLicense | None):
    if body is None:
        token = request.get_data(as_text=True)
        allow_older = request.args.get("allow_older", "").lower() in {"1", "true", "yes"}
    else:
        token, allow_older = body.license, body.allow_older
    licensing.install_license(token, allow_older=allow_older)
    return _status_body()


@endpoint(
    api,
    "/system/license",
    "DELETE",
    permission="system:license",
    status=204,
    summary="Remove the uploaded license (back to the free edition)",
)
def delete_license():
    licensing.remove_license()
    return "", 204
