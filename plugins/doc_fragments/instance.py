# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Selecting the IAM Identity Center instance / identity store a module acts on.
    DOCUMENTATION = r"""
options:
  instance_arn:
    description:
      - ARN of the IAM Identity Center instance; needed only when the caller sees several instances.
      - By default the one instance visible to the caller is used (see M(ssoshift.identity_center.instance_info)).
      - When none is visible the task fails before any other Identity Center call; from a member account that does not
        administer Identity Center (AWS shows it no instance) the message says so and where to run, otherwise it names
        the console step that enables an organization instance.
    type: str
"""

    # Directory modules: the identity store may be named directly.
    IDENTITY_STORE = r"""
options:
  identity_store_id:
    description:
      - ID of the identity store (C(d-xxxxxxxxxx)). When given, no instance look-up is made.
    type: str
"""
