#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: alternate_contact
short_description: Manage the billing, operations or security alternate contact of an AWS account
version_added: 0.1.0
description:
  - Sets or removes one alternate contact of an account with the AWS Account Management API.
  - Without I(account_id) it acts on the caller's account. With I(account_id), on that member account, from the
    management account (or the delegated administrator) with trusted access for C(account.amazonaws.com).
  - The email address and phone number are checked before any call; nothing is changed when they are invalid.
  - AWS Security Hub control Account.1 expects a security contact on every account.
options:
  contact_type:
    description: Which contact.
    type: str
    required: true
    choices: [billing, operations, security]
  name:
    description: Name of the contact. Required with I(state=present).
    type: str
  title:
    description: Title of the contact. Required with I(state=present).
    type: str
  email:
    description: Email address. Required with I(state=present).
    type: str
  phone:
    description: Phone number, digits with an optional leading C(+), spaces, dashes and parentheses.
      Required with I(state=present).
    type: str
  account_id:
    description: 12-digit ID of a member account; the caller's own account when unset.
    type: str
  state:
    description: Whether the contact is set.
    type: str
    default: present
    choices: [present, absent]
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Security contact of the management account
  ssoshift.identity_center.alternate_contact:
    contact_type: security
    name: Security team
    title: CISO office
    email: security@example.com
    phone: "+44 20 7946 0000"

- name: The same on a member account
  ssoshift.identity_center.alternate_contact:
    account_id: "210987654321"
    contact_type: security
    name: Security team
    title: CISO office
    email: security@example.com
    phone: "+44 20 7946 0000"
"""

RETURN = r"""
contact:
  description: The contact after the change (C(name), C(title), C(email), C(phone), C(contact_type)); empty when absent.
  returned: always
  type: dict
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import EMAIL

# AWS: 1-25 characters of digits, spaces and + ( ) -; at least a few digits to be a number at all.
PHONE = re.compile(r"^\+?[\d\s()-]{1,25}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
FIELDS = {"name": "Name", "title": "Title", "email": "EmailAddress", "phone": "PhoneNumber"}


def problems_of(params):
    problems = []
    if params["account_id"] is not None and not ACCOUNT_ID.match(params["account_id"]):
        problems.append(f"account_id: must be 12 digits, got '{params['account_id']}'")
    if params["state"] == "present":
        problems.extend(f"{field}: required with state=present" for field in FIELDS if not params[field])
        if params["email"] and (not EMAIL.match(params["email"]) or len(params["email"]) > 254):
            problems.append(f"email: not an email address, got '{params['email']}'")
        if params["phone"] and (not PHONE.match(params["phone"]) or sum(c.isdigit() for c in params["phone"]) < 4):
            problems.append(f"phone: not a phone number (digits, +, spaces, dashes, parentheses), "
                            f"got '{params['phone']}'")
        for field in ("name", "title"):
            if params[field] and len(params[field]) > (64 if field == "name" else 50):
                problems.append(f"{field}: too long for AWS, got '{params[field]}'")
    return problems


def ensure(module):
    params = module.params
    fail_if_problems(problems_of(params), "invalid alternate contact")
    account = client(module, "account")
    target = {"AccountId": params["account_id"]} if params["account_id"] else {}
    contact_type = params["contact_type"].upper()
    try:
        current = account.get_alternate_contact(AlternateContactType=contact_type, aws_retry=True,
                                                **target)["AlternateContact"]
        before = {field: current.get(key) for field, key in FIELDS.items()}
    except is_boto3_error_code("ResourceNotFoundException"):
        before = {}
    if params["state"] == "absent":
        if before and not module.check_mode:
            account.delete_alternate_contact(AlternateContactType=contact_type, aws_retry=True, **target)
        return dict(changed=bool(before), contact={}, diff=dict(before=before, after={}))
    after = {field: params[field] for field in FIELDS}
    if after == before:
        return dict(changed=False, contact=dict(after, contact_type=params["contact_type"]))
    if not module.check_mode:
        account.put_alternate_contact(AlternateContactType=contact_type, aws_retry=True, **target,
                                      **{key: params[field] for field, key in FIELDS.items()})
    return dict(changed=True, contact=dict(after, contact_type=params["contact_type"]),
                diff=dict(before=before, after=after))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            contact_type=dict(type="str", required=True, choices=["billing", "operations", "security"]),
            name=dict(type="str"),
            title=dict(type="str"),
            email=dict(type="str"),
            phone=dict(type="str"),
            account_id=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: ensure(module), "Failed to manage the alternate contact"))


if __name__ == "__main__":
    main()
