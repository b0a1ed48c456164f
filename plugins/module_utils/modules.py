# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection shares: instance options and error handling."""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import discover_instance
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import identity_store_id_for
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import member_caller

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

INSTANCE_OPTIONS = dict(instance_arn=dict(type="str"))
DIRECTORY_OPTIONS = dict(INSTANCE_OPTIONS, identity_store_id=dict(type="str"))


def member_caller_of(module):
    """organizations.member_caller with the module's own clients, as a callable for the engines, which ask it only on
    the path that needs it: no instance visible (identity_center.discover_instance), a change that only the
    management account may make (root_access.ensure_root_access), or a change that a delegated administrator may not
    make (permission_sets.management_refusals). (caller, management account ID) for a member account, None for the
    management account; one DescribeOrganization and one GetCallerIdentity."""
    return lambda: member_caller(client(module, "organizations"), client(module, "sts"))


def discover(module, sso_admin=None):
    """(selected instance, every instance) of the module's instance_arn option and region: one ListInstances (through
    `sso_admin` when the module counts or rate-limits its calls); a member account that sees no instance is told that it
    does not administer Identity Center and where to run."""
    return discover_instance(sso_admin or client(module, "sso-admin"), module.params.get("instance_arn"), module.region,
                             member_caller_of(module))


def instance_arn(module):
    """The instance of the module's instance_arn option (one ListInstances when not given, as discover)."""
    if module.params.get("instance_arn"):
        return module.params["instance_arn"]
    return discover(module)[0]["InstanceArn"]


def identity_store_id(module):
    """The identity store of the module's instance options (one ListInstances when not given, as discover)."""
    return identity_store_id_for(client(module, "sso-admin"), module.params.get("identity_store_id"),
                                 module.params.get("instance_arn"), module.region, member_caller_of(module))


def run(module, action, failure_message):
    """Call action(): the one error path of every module.

    The collection's own errors (SsoShiftError: the field and the value) fail with every problem listed;
    a bulk run in which some accounts failed (PartialFailure) fails with the others' results and each failed
    account named; AWS errors end in fail_json_aws, whose message names the operation and AWS's error code.
    A wait that ran out (TimeoutError: a socket, a future or an engine's own wait) fails with `failure_message`
    and what timed out, never with a traceback.
    """
    try:
        return action()
    except SsoShiftError as error:
        module.fail_json(msg=str(error), problems=error.problems)
    except PartialFailure as error:
        module.fail_json(msg=str(error), **error.result)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=failure_message)
    except TimeoutError as error:
        module.fail_json(msg=f"{failure_message}: timed out ({str(error) or type(error).__name__}); run it again once "
                         "AWS answers (every step plans from a fresh read)")


def warn(module, message):
    """A warning shown once. amazon.aws 10's AnsibleAWSModule.warn also copies warnings into the
    result, which ansible-core 2.19 reports as a deprecation on every such task; the wrapped
    AnsibleModule's warn is the supported path."""
    getattr(module, "_module", module).warn(message)
