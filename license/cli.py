"""The vendor tool: ``python -m license keygen | issue | inspect``.

Exit codes: 0 success (for ``inspect``: the license verifies and is valid, expiring soon
or in its grace period); 1 the license is invalid; 2 usage or key/file errors; 3 the
license verifies but its grace period is over.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .claims import DEFAULT_GRACE_DAYS, KNOWN_FEATURES, License
from .errors import LicenseError
from .issue import (
    generate_private_key,
    load_private_key,
    new_license_id,
    sign_license,
    write_key_pair,
)
from .keys import KeySet, public_key_pem
from .render import status_to_dict, status_to_text
from .status import LicenseState, license_status
from .verify import read_unverified

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_EXPIRED = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run the vendor tool and return its exit code."""
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except (LicenseError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _when(text: str) -> datetime:
    """YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time (UTC if no zone is given)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, zero or more: {text!r}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number, one or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outpost-license", description="Make key pairs, issue and inspect licenses."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _add_keygen(commands)
    _add_issue(commands)
    _add_inspect(commands)
    return parser


def _add_keygen(commands: argparse._SubParsersAction) -> None:
    keygen = commands.add_parser("keygen", help="make an Ed25519 signing key pair")
    keygen.add_argument("--kid", required=True, help="key id put in every license header")
    keygen.add_argument("--out-private", required=True, type=Path, metavar="PATH")
    keygen.add_argument("--out-public", required=True, type=Path, metavar="PATH")
    keygen.add_argument("--force", action="store_true", help="overwrite existing files")
    keygen.set_defaults(command=_keygen)


def _add_issue(commands: argparse._SubParsersAction) -> None:
    issue = commands.add_parser("issue", help="sign a license and print it")
    issue.add_argument("--private-key", required=True, type=Path, metavar="PATH")
    issue.add_argument("--kid", required=True)
    issue.add_argument("--customer", required=True, help="customer name")
    issue.add_argument("--email", required=True, help="customer contact email")
    term = issue.add_mutually_exclusive_group(required=True)
    term.add_argument("--days", type=_positive, help="valid for N days from --not-before")
    term.add_argument("--expires", type=_when, metavar="DATE", help="expiry (00:00 UTC)")
    issue.add_argument("--not-before", type=_when, metavar="DATE", help="default: now")
    issue.add_argument("--seats", required=True, type=_count)
    issue.add_argument("--max-teams", type=_count, help="default: unlimited")
    issue.add_argument("--feature", action="append", default=[], metavar="NAME")
    issue.add_argument("--trial", action="store_true")
    issue.add_argument("--grace-days", type=_count, default=DEFAULT_GRACE_DAYS)
    issue.add_argument("--instance-id", help="bind the license to one Outpost instance")
    issue.add_argument("--license-id", help="default: a new random id")
    issue.add_argument("--out", type=Path, metavar="PATH", help="write the token here")
    issue.set_defaults(command=_issue)


def _add_inspect(commands: argparse._SubParsersAction) -> None:
    inspect = commands.add_parser("inspect", help="verify a license and show its claims")
    inspect.add_argument("token", metavar="TOKEN_OR_PATH", help="a token, a file, or - for stdin")
    inspect.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="PATH",
        help="also trust this public key (repeatable)",
    )
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.add_argument("--at", type=_when, metavar="DATE", help="judge at this time")
    inspect.add_argument("--instance-id", help="check the binding against this instance")
    inspect.set_defaults(command=_inspect)


def _keygen(args: argparse.Namespace) -> int:
    key = generate_private_key()
    write_key_pair(
        key, private_path=args.out_private, public_path=args.out_public, force=args.force
    )
    entry = {"kid": args.kid, "public_key": public_key_pem(key.public_key())}
    print(json.dumps(entry, indent=2))
    print(
        f"Private key: {args.out_private} (mode 0600). Keep it secret; never commit it.\n"
        f"Public key:  {args.out_public}. Add the entry above to license/keys/vendor_keys.json.",
        file=sys.stderr,
    )
    return EXIT_OK


def _issue(args: argparse.Namespace) -> int:
    private_key = load_private_key(args.private_key)
    now = datetime.now(UTC).replace(microsecond=0)
    not_before = args.not_before or now
    expires_at = args.expires or not_before + timedelta(days=args.days)
    features = frozenset(name.strip() for name in args.feature if name.strip())
    for name in sorted(features - KNOWN_FEATURES):
        print(f"warning: feature {name!r} is not known to this version; kept", file=sys.stderr)
    claims = License(
        license_id=args.license_id or new_license_id(),
        customer_name=args.customer,
        customer_email=args.email,
        issued_at=now,
        not_before=not_before,
        expires_at=expires_at,
        seats=args.seats,
        max_teams=args.max_teams,
        features=features,
        trial=args.trial,
        grace_days=args.grace_days,
        instance_id=args.instance_id,
    )
    # Round-trip through the claim checks so the tool never signs what servers refuse.
    License.from_claims(claims.to_claims())
    token = sign_license(claims, private_key, kid=args.kid)
    if args.out:
        args.out.write_text(token + "\n", encoding="ascii")
        print(f"License {claims.license_id} written to {args.out}", file=sys.stderr)
    else:
        print(token)
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    token = _read_token(args.token)
    keyset = KeySet.load(args.public_key, production=not args.public_key)
    now = args.at or datetime.now(UTC)
    status = license_status(token, now=now, keyset=keyset, instance_id=args.instance_id)
    unverified = _unverified_claims(token) if status.license is None else None
    if args.json:
        report = status_to_dict(status)
        report["unverified_claims"] = unverified
        print(json.dumps(report, indent=2))
    else:
        print(status_to_text(status))
        if unverified is not None:
            print("Claims as written (NOT verified, do not trust):")
            print(json.dumps(unverified, indent=2, sort_keys=True))
    if status.state is LicenseState.INVALID:
        return EXIT_INVALID
    return EXIT_EXPIRED if status.state is LicenseState.EXPIRED else EXIT_OK


def _read_token(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        is_file = Path(source).is_file()
    except OSError:  # e.g. a long token is not a valid file name
        is_file = False
    return Path(source).read_text(encoding="ascii") if is_file else source


def _unverified_claims(token: str) -> dict | None:
    try:
        return read_unverified(token)[1]
    except LicenseError:
        return None  # not even decodable: the reason already says so
