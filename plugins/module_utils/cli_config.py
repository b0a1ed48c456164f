# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS CLI config files with IAM Identity Center profiles: parse, render, merge, write.

Pure Python (no Ansible, no AWS). A file is read as text and split into chunks: text that
this collection does not manage, kept byte for byte, and *managed sections* — a
`[sso-session NAME]` or `[profile NAME]` section directly below the marker line

    # managed by ssoshift.identity_center (sso-session NAME)

`merge` replaces every managed section of one sso-session by the desired ones, as one block at
the place of the first of them (or at the end of the file), and leaves everything else alone.
Sections are recognised the way botocore's config loader recognises them (configparser
headers, then `shlex.split`), so a hand-written `[profile  dev-admin]` is seen as the profile
`dev-admin` and reported as a conflict rather than duplicated.
"""

import os
import re
import shlex
import string
import tempfile

from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import PERMISSION_SET_NAME as PERMISSION_SET_RE

MARKER = "# managed by ssoshift.identity_center (sso-session {session})"
MARKER_RE = re.compile(r"^# managed by ssoshift\.identity_center \(sso-session (?P<session>[^()\s]+)\)\s*$")
# configparser's section header (it matches the stripped line, up to the last ']').
HEADER_RE = re.compile(r"\[(?P<header>.+)\]")

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
START_URL_RE = re.compile(r"^https://[^\s/]+(/\S*)?$")
SCOPE_RE = re.compile(r"^[A-Za-z0-9:._/-]+$")
OUTPUTS = ("json", "yaml", "yaml-stream", "text", "table")

DEFAULT_TEMPLATE = "{account_name}-{permission_set}"
TEMPLATE_FIELDS = ("account_name", "account_id", "permission_set", "sso_session")
PROFILE_KEYS = {"account_id", "account_name", "permission_set", "name", "region", "output"}
# account_assignments_info returns these too; accepted so its output feeds `profiles` directly.
ASSIGNMENT_KEYS = {"permission_set_arn", "principal", "principal_id", "principal_type"}


def _quote(value):
    return f"'{value}'"


# --- parsing ---------------------------------------------------------------------------------

def split_lines(text):
    """Lines with their line endings, so that ''.join(split_lines(t)) == t."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _is_comment(line):
    stripped = line.strip()
    return stripped.startswith("#") or stripped.startswith(";")


def _is_key_line(line):
    return bool(line.strip()) and not _is_comment(line)


def header_of(line):
    """The section header of a line (`profile dev`), or None."""
    if _is_comment(line):
        return None
    match = HEADER_RE.match(line.strip())
    return match.group("header") if match else None


def section_key(header):
    """(kind, name) as botocore sees the section: ('profile', 'dev'), ('sso-session', 'x'),
    ('profile', 'default') for [default]; None for other sections."""
    if header == "default":
        return ("profile", "default")
    for kind in ("profile", "sso-session"):
        if header.startswith(kind):
            try:
                parts = shlex.split(header)
            except ValueError:
                return None
            return (kind, parts[1]) if len(parts) == 2 else None
    return None


def label(key):
    return f"{key[0]} '{key[1]}'"


class Chunk:
    """A run of the file: `managed` (session, key) or unmanaged text (`session` None)."""

    def __init__(self, text, session=None, key=None, header=None):
        self.text = text
        self.session = session
        self.key = key
        self.header = header

    @property
    def managed(self):
        return self.session is not None

    def __repr__(self):
        return f"Chunk({self.text!r}, session={self.session!r}, key={self.key!r})"


def parse(text):
    """Chunks of the file in order; ''.join(c.text for c in parse(t)) == t.

    A managed chunk is the marker, the header and the section's lines up to its last setting,
    with one blank line after it; comments and further blank lines belong to the text that follows.
    Unmanaged chunks that start with a header carry it in `header` (for conflict checks).
    """
    lines = split_lines(text)
    headers = [index for index, line in enumerate(lines) if header_of(line) is not None]
    starts = []
    for index in headers:
        marker = MARKER_RE.match(lines[index - 1].rstrip("\r\n")) if index > 0 else None
        if marker:
            starts.append((index - 1, index, marker.group("session")))
        else:
            starts.append((index, index, None))

    chunks = []
    first = starts[0][0] if starts else len(lines)
    if first:
        chunks.append(Chunk("".join(lines[:first])))
    for position, (start, header_index, session) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        header = header_of(lines[header_index])
        if session is None:
            chunks.append(Chunk("".join(lines[start:end]), header=header, key=section_key(header)))
            continue
        body = lines[header_index + 1:end]
        last = max((i for i, line in enumerate(body) if _is_key_line(line)), default=-1) + 1
        if last < len(body) and not body[last].strip():
            last += 1  # the blank line render_section ends with; further blank lines are the file's own
        chunks.append(Chunk("".join(lines[start:header_index + 1] + body[:last]), session=session,
                            key=section_key(header), header=header))
        if last < len(body):
            chunks.append(Chunk("".join(body[last:])))
    return chunks


# --- desired sections --------------------------------------------------------------------------

def render_section(session, header, settings):
    """A managed section: marker, header, `key = value` lines, one blank line."""
    lines = [MARKER.format(session=session), f"[{header}]"]
    lines.extend(f"{key} = {value}" for key, value in settings)
    return "\n".join(lines) + "\n\n"


def sanitize_name(name):
    """Lower case; every run of characters outside [A-Za-z0-9._-] becomes one '-';
    leading and trailing '-' and '.' are dropped."""
    return UNSAFE_NAME_CHARACTERS.sub("-", name.lower()).strip("-.")


def template_problems(template, field="profile_name_template"):
    """Problems of a profile-name template: str.format fields, only the known ones."""
    if not isinstance(template, str) or not template.strip():
        return [f"{field}: must be a non-empty string, got {_quote(template)}"]
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        return [f"{field}: {_quote(template)} is not a valid template ({error})"]
    problems = []
    fields = [name for dummy, name, spec, conversion in parsed if name is not None]
    for name in fields:
        if name not in TEMPLATE_FIELDS:
            problems.append(f"{field}: unknown field {{{name}}} in {_quote(template)} "
                            f"(expected {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)})")
    if not problems and "permission_set" not in fields and not {"account_name", "account_id"} & set(fields):
        problems.append(f"{field}: {_quote(template)} names neither the account nor the permission set, "
                        f"so every profile would get the same name")
    return problems


def session_problems(session, start_url, sso_region, registration_scopes):
    problems = []
    if not isinstance(session, str) or not NAME_RE.match(session):
        problems.append(f"sso_session: must be letters, digits, '.', '_' or '-', got {_quote(session)}")
    if start_url is not None and not START_URL_RE.match(str(start_url)):
        problems.append(f"start_url: must be an https:// URL such as https://d-1234567890.awsapps.com/start, "
                        f"got {_quote(start_url)}")
    if sso_region is not None and not REGION_RE.match(str(sso_region)):
        problems.append(f"sso_region: not an AWS region, got {_quote(sso_region)}")
    if registration_scopes is not None:
        if not registration_scopes:
            problems.append("registration_scopes: must list at least one scope, such as sso:account:access")
        for scope in registration_scopes:
            if not SCOPE_RE.match(str(scope)):
                problems.append(f"registration_scopes: not a scope, got {_quote(scope)}")
    return problems


def build_profiles(entries, template=DEFAULT_TEMPLATE, region=None, output="json", session="ssoshift"):
    """Profiles from `profiles` entries (or account_assignments_info's `assignments`).

    Returns (profiles, problems); profiles are dicts {name, account_id, account_name,
    permission_set, region, output}, sorted by name, with identical entries collapsed (a user
    reaches the same permission set in an account directly and through a group).
    """
    problems = template_problems(template)
    if region is not None and not REGION_RE.match(str(region)):
        problems.append(f"region: not an AWS region, got {_quote(region)}")
    if output not in OUTPUTS:
        problems.append(f"output: must be one of {', '.join(OUTPUTS)}, got {_quote(output)}")
    if problems:
        return [], problems
    by_name = {}
    for index, entry in enumerate(entries or []):
        where = f"profiles[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping, got {_quote(entry)}")
            continue
        for key in sorted(set(entry) - PROFILE_KEYS - ASSIGNMENT_KEYS):
            problems.append(f"{where}: unknown option {_quote(key)} (expected one of {', '.join(sorted(PROFILE_KEYS))})")
        account_id = str(entry.get("account_id") if entry.get("account_id") is not None else "")
        permission_set = entry.get("permission_set")
        own = []
        if not ACCOUNT_ID_RE.match(account_id):
            own.append(f"{where}.account_id: must be 12 digits, got {_quote(account_id)}")
        if not isinstance(permission_set, str) or not PERMISSION_SET_RE.match(permission_set):
            own.append(f"{where}.permission_set: not a permission set name, got {_quote(permission_set)}")
        account_name = entry.get("account_name") or account_id
        if not isinstance(account_name, str) or "\n" in account_name:
            own.append(f"{where}.account_name: must be a single-line string, got {_quote(account_name)}")
        profile_region = entry.get("region") or region
        if profile_region is not None and not REGION_RE.match(str(profile_region)):
            own.append(f"{where}.region: not an AWS region, got {_quote(profile_region)}")
        profile_output = entry.get("output") or output
        if profile_output not in OUTPUTS:
            own.append(f"{where}.output: must be one of {', '.join(OUTPUTS)}, got {_quote(profile_output)}")
        explicit = entry.get("name")
        if explicit is not None and (not isinstance(explicit, str) or not NAME_RE.match(explicit)):
            own.append(f"{where}.name: must be letters, digits, '.', '_' or '-', got {_quote(explicit)}")
        if own:
            problems.extend(own)
            continue
        if explicit:
            name = explicit
        else:
            rendered = template.format(account_name=account_name, account_id=account_id,
                                       permission_set=permission_set, sso_session=session)
            name = sanitize_name(rendered)
            if not name:
                problems.append(f"{where}: profile_name_template {_quote(template)} gives no usable name "
                                f"(got {_quote(rendered)})")
                continue
        if name == "default":
            problems.append(f"{where}: profile name 'default' is reserved for the CLI's default profile; "
                            f"set name or change profile_name_template")
            continue
        profile = {"name": name, "account_id": account_id, "account_name": account_name,
                   "permission_set": permission_set, "region": profile_region, "output": profile_output}
        if name in by_name:
            other_index, other = by_name[name]
            if {k: v for k, v in other.items() if k != "account_name"} != {
                    k: v for k, v in profile.items() if k != "account_name"}:
                problems.append(f"{where}: profile name {_quote(name)} is also the name of profiles[{other_index}] "
                                f"(account {other['account_id']}, permission set {other['permission_set']}); "
                                f"set name or make profile_name_template tell them apart, e.g. with {{account_id}}")
            continue
        by_name[name] = (index, profile)
    profiles = [profile for dummy, profile in sorted(by_name.values(), key=lambda item: item[1]["name"])]
    return profiles, problems


def desired_sections(session, start_url, sso_region, registration_scopes, profiles):
    """[(key, header, rendered text)]: the sso-session section, then one per profile."""
    scopes = ",".join(registration_scopes)
    sections = [(("sso-session", session), f"sso-session {session}",
                 render_section(session, f"sso-session {session}", [
                     ("sso_start_url", start_url), ("sso_region", sso_region),
                     ("sso_registration_scopes", scopes)]))]
    for profile in profiles:
        settings = [("sso_session", session), ("sso_account_id", profile["account_id"]),
                    ("sso_role_name", profile["permission_set"])]
        if profile["region"]:
            settings.append(("region", profile["region"]))
        settings.append(("output", profile["output"]))
        header = f"profile {profile['name']}"
        sections.append((("profile", profile["name"]), header, render_section(session, header, settings)))
    return sections


# --- merging ---------------------------------------------------------------------------------

def merge(text, session, sections, path="config"):
    """The file text with `session`'s managed sections replaced by `sections`.

    Returns (new_text, plan, problems); plan is {added, updated, removed} of section labels.
    With problems (a hand-written or other session's section has the name of a desired one) the
    text is returned unchanged: nothing must be written.
    """
    chunks = parse(text)
    wanted = {key: rendered for key, dummy, rendered in sections}
    problems = []
    existing = {}
    for chunk in chunks:
        if chunk.managed and chunk.session == session:
            if chunk.key is not None:
                existing.setdefault(chunk.key, chunk.text)
        elif chunk.key in wanted and not chunk.managed:
            problems.append(f"{path}: {label(chunk.key)} is hand-written (section [{chunk.header}] has no "
                            f"'{MARKER.format(session=session)}' line above it); it is left alone: rename or "
                            f"remove it, or choose another profile name")
        elif chunk.key in wanted:
            problems.append(f"{path}: {label(chunk.key)} is managed for sso-session '{chunk.session}', "
                            f"not '{session}'; choose another profile name")
    if problems:
        return text, {"added": [], "updated": [], "removed": []}, problems

    plan = {
        "added": [label(key) for key, dummy, rendered in sections if key not in existing],
        "updated": [label(key) for key, dummy, rendered in sections
                    if key in existing and existing[key] != rendered],
        "removed": [label(key) for key in existing if key not in wanted],
    }
    block = "".join(rendered for dummy, dummy2, rendered in sections)
    ours = [chunk.managed and chunk.session == session for chunk in chunks]
    pieces = []
    if any(ours):
        placed = False
        for chunk, mine in zip(chunks, ours):
            if not mine:
                pieces.append(chunk.text)
            elif not placed:
                pieces.append(block)
                placed = True
        return "".join(pieces), plan, []
    if not block:
        return text, plan, []
    if text and not text.endswith("\n"):
        text += "\n"
    if text and not text.endswith("\n\n"):
        text += "\n"
    return text + block, plan, []


# --- files -----------------------------------------------------------------------------------

def read_text(path):
    """(text, exists, mode) of a config file; text '' when it does not exist."""
    if not os.path.exists(path):
        return "", False, None
    with open(path, "rb") as handle:
        data = handle.read()
    return data.decode("utf-8"), True, os.stat(path).st_mode & 0o7777


def write_atomically(path, text, mode=0o600, directory_mode=0o700):
    """Write through a temporary file in the same folder and rename it over `path`.

    A missing parent folder is created with `directory_mode`; an existing one is left as is.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=directory_mode)
        os.chmod(directory, directory_mode)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".ssoshift-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def plan_config(text, path, session, start_url, sso_region, registration_scopes, entries, template=DEFAULT_TEMPLATE,
                region=None, output="json", state="present"):
    """(new_text, profile names, plan) of one config file: its current `text` with the session's managed sections
    replaced by those of `entries` (assignments: account_id, account_name, permission_set). Raises SsoShiftError
    listing every problem of the input or of sections in the way, before anything is written."""
    from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems

    problems = session_problems(session, start_url, sso_region, registration_scopes)
    profiles = []
    if state == "present":
        profiles, more = build_profiles(entries, template, region or sso_region, output, session)
        problems.extend(more)
    fail_if_problems(problems, "invalid CLI profile input; nothing was changed")
    sections = desired_sections(session, start_url, sso_region, registration_scopes, profiles) \
        if state == "present" else []
    new_text, plan, problems = merge(text, session, sections, path)
    fail_if_problems(problems, f"{path}: the config file has sections in the way; nothing was changed")
    return new_text, [profile["name"] for profile in profiles], plan
