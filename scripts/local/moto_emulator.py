"""moto_server for Plinth's local deploy, with the fixes below applied to moto 5's CloudFormation.

1. Skip and report, never abort. moto creates stack resources lazily and lets any error escape,
   which aborts ExecuteChangeSet and makes ListStackResources fail. Here a resource moto cannot
   create is left out of the stack and one line is written to stderr:

       PLINTH_EMULATOR_SKIP {"logicalId": ..., "type": ..., "reason": ...}

   so the deploy reports it as skipped, never as deployed. Lambda-backed custom resources are
   skipped the same way: moto would run their code in Docker, and the local deploy runs no
   Lambda code inside the emulator.
2. Fn::GetStackOutput, the intrinsic behind CDK's weak cross-stack references, which moto does
   not know: resolved from the named stack's outputs, as CloudFormation does.
3. Stack outputs after a change set: moto's ExecuteChangeSet creates the resources but never
   evaluates the template's Outputs, so a stack deployed by `cdk deploy` had none.
4. EventBridge delivery: moto matches every event against a scheduled rule (which has no
   pattern) and then fails the whole PutEvents on targets it cannot deliver to (Lambda). Here a
   scheduled rule receives no events, as in AWS, and a target moto cannot deliver to is skipped
   and reported (PLINTH_EMULATOR_UNDELIVERED) instead of failing the caller.
5. SageMaker instance types: moto 5's list predates the GPU families Plinth deploys (ml.g5 and
   later). The types Plinth accepts at synth (lib/inference/instance-types.ts), passed in
   PLINTH_EMULATOR_INSTANCE_TYPES, are accepted as well; anything else is still checked by moto.
6. Names given in the template: moto names SageMaker endpoints, endpoint configs and models
   itself even when the template sets EndpointName, EndpointConfigName or ModelName.
7. Unimplemented API actions are reported (PLINTH_EMULATOR_UNIMPLEMENTED {"action": ...}) so a
   caller that gets moto's HTTP 500 page can say which call the emulator lacks.
8. Properties moto reads in a shape CloudFormation does not use: KMS key tags (TagKey/TagValue),
   SSM parameter tags (a map in CloudFormation), and the generated name of a FIFO queue, which
   CloudFormation ends in ".fifo".

Usage: python3 moto_emulator.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""
import copy
import json
import os
import sys

import moto.cloudformation.models as cloudformation_models
import moto.events.models as events_models
import moto.sagemaker.models as sagemaker_models
from moto.core.responses import BaseResponse
import moto.cloudformation.parsing as parsing
from moto.cloudformation import cloudformation_backends
from moto.moto_api._internal import mock_random
from moto.server import main

SKIP_MARKER = "PLINTH_EMULATOR_SKIP"
_create = parsing.parse_and_create_resource
_clean_json = parsing.clean_json
_reported = set()


class StackOutputNotFound(Exception):
    pass


def _report_skip(logical_id, resource_type, reason):
    key = (logical_id, resource_type, reason)
    if key in _reported:
        return
    _reported.add(key)
    line = json.dumps({"logicalId": logical_id, "type": resource_type, "reason": reason})
    sys.stderr.write(f"{SKIP_MARKER} {line}\n")
    sys.stderr.flush()


def _stack_output(account_id, region, stack_name, output_name):
    backend = cloudformation_backends[account_id][region]
    for stack in backend.stacks.values():
        if stack.name == stack_name:
            for output in stack.outputs or []:
                if output["OutputKey"] == output_name:
                    return output["OutputValue"]
    raise StackOutputNotFound(f"Fn::GetStackOutput: stack {stack_name} has no output {output_name}")


def _clean_json_with_stack_outputs(resource_json, resources_map):
    if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
        spec = _clean_json(resource_json["Fn::GetStackOutput"], resources_map)
        region = spec.get("Region") or resources_map["AWS::Region"]
        return _stack_output(resources_map["AWS::AccountId"], region, spec["StackName"], spec["OutputName"])
    return _clean_json(resource_json, resources_map)


def _as_cloudformation_does(logical_id, resource_json, resources_map):
    resource_type = resource_json.get("Type", "")
    properties = resource_json.get("Properties") or {}
    adapted = copy.deepcopy(resource_json)
    adapted_properties = adapted.setdefault("Properties", {})
    if resource_type == "AWS::KMS::Key" and isinstance(properties.get("Tags"), list):
        adapted_properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties["Tags"]]
    elif resource_type == "AWS::SSM::Parameter" and isinstance(properties.get("Tags"), dict):
        adapted_properties["Tags"] = [{"Key": k, "Value": v} for k, v in properties["Tags"].items()]
    elif resource_type == "AWS::SQS::Queue" and properties.get("FifoQueue") and "QueueName" not in properties:
        stack_name = resources_map["AWS::StackName"]
        adapted_properties["QueueName"] = f"{stack_name}-{logical_id}-{mock_random.get_random_hex(8)}"[:75] + ".fifo"
    return adapted


def _create_or_skip(logical_id, resource_json, resources_map, account_id, region_name):
    resource_type = resource_json.get("Type", "")
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        _report_skip(logical_id, resource_type, "Lambda-backed custom resource: moto would run its code in Docker")
        return None
    try:
        adapted = _as_cloudformation_does(logical_id, resource_json, resources_map)
        return _create(logical_id, adapted, resources_map, account_id, region_name)
    except Exception as error:  # noqa: BLE001 - any moto failure becomes a reported skip
        _report_skip(logical_id, resource_type, f"{type(error).__name__}: {error}"[:300])
        return None


_apply_change_set = cloudformation_models.ChangeSet.apply


def _apply_change_set_with_outputs(change_set):
    _apply_change_set(change_set)
    stack = change_set.stack
    stack.template = change_set.template
    stack._parse_template()
    stack.output_map = stack._create_output_map()


_send_to_targets = events_models.Rule.send_to_targets


def _send_to_deliverable_targets(rule, original_event, transform_input=True):
    if rule.scheduled_expression and not rule.event_pattern.get_pattern():
        return
    for target in list(rule.targets):
        single = copy.copy(rule)
        single.targets = [target]
        try:
            _send_to_targets(single, original_event, transform_input)
        except NotImplementedError:
            line = json.dumps({"rule": rule.name, "target": target.get("Arn", "")})
            sys.stderr.write(f"PLINTH_EMULATOR_UNDELIVERED {line}\n")
            sys.stderr.flush()


_EXTRA_INSTANCE_TYPES = set(filter(None, os.environ.get("PLINTH_EMULATOR_INSTANCE_TYPES", "").split(",")))
_validate_instance_type = sagemaker_models.FakeEndpointConfig.validate_instance_type


def _validate_instance_type_known_to_plinth(endpoint_config, instance_type):
    if instance_type in _EXTRA_INSTANCE_TYPES:
        return
    _validate_instance_type(endpoint_config, instance_type)


# CloudFormation's name property of the types whose template-given name moto ignores.
_NAME_PROPERTIES = {
    sagemaker_models.FakeEndpoint: "EndpointName",
    sagemaker_models.FakeEndpointConfig: "EndpointConfigName",
    sagemaker_models.Model: "ModelName",
}
for _model, _property in _NAME_PROPERTIES.items():
    _model.cloudformation_name_type = staticmethod(lambda _property=_property: _property)

_call_action = BaseResponse.call_action


def _call_action_reporting_gaps(response):
    try:
        return _call_action(response)
    except NotImplementedError:
        action = getattr(response, "_get_action", lambda: "unknown")()
        line = json.dumps({"service": type(response).__module__.split(".")[1], "action": action})
        sys.stderr.write(f"PLINTH_EMULATOR_UNIMPLEMENTED {line}\n")
        sys.stderr.flush()
        raise


BaseResponse.call_action = _call_action_reporting_gaps
parsing.parse_and_create_resource = _create_or_skip
sagemaker_models.FakeEndpointConfig.validate_instance_type = _validate_instance_type_known_to_plinth
events_models.Rule.send_to_targets = _send_to_deliverable_targets
cloudformation_models.ChangeSet.apply = _apply_change_set_with_outputs
parsing.clean_json = _clean_json_with_stack_outputs

if __name__ == "__main__":
    main(sys.argv[1:])
