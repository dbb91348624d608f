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
   evaluates the template's Outputs, so a stack deployed by `cdk deploy` had none, and no
   export for Fn::ImportValue either.
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

9. Feature Store runtime (moto has none): PutRecord, GetRecord and BatchGetRecord over an honest
   in-memory store keyed by feature group, record identifier and event time. A read returns the
   record with the latest event time (ties: the last write), as the online store does; records
   are kept per account (the caller's, as moto maps access keys) and region; a group
   moto does not know is ResourceNotFound; a record without its identifier or event time is a
   ValidationError. TTL expiry and the offline store are not emulated.

10. AWS::SageMaker::Pipeline (moto's SageMaker has the Pipeline APIs but no CloudFormation model
   for them, so the resource was silently absent): created through moto's own CreatePipeline
   from PipelineName, PipelineDisplayName, PipelineDescription, RoleArn, Tags,
   ParallelismConfiguration and PipelineDefinition (PipelineDefinitionBody, or
   PipelineDefinitionS3Location read from the emulator's S3). Ref is the pipeline name, as in
   CloudFormation. A body that is not a JSON object is refused (reported as a skip), as
   SageMaker refuses it; the definition's steps are stored, never run. Updates go through
   UpdatePipeline, deletes through DeletePipeline. And the Pipeline APIs take the pipeline's ARN
   where they take its name (SageMaker accepts either; moto only the name, so retrain-trigger's
   StartPipelineExecution by ARN failed); an ARN of another pipeline, account or region is still
   "not found".

Usage: python3 moto_emulator.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""
import copy
import json
import os
import sys

import moto.cloudformation.models as cloudformation_models
import moto.events.models as events_models
import moto.sagemaker.models as sagemaker_models
import moto.sagemaker.urls as sagemaker_urls
from urllib.parse import parse_qs, unquote, urlparse
from moto.sagemaker.models import sagemaker_backends
from moto.core.common_models import CloudFormationModel
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
    stack = change_set.stack
    # A stack made by CreateChangeSet gets no view of the account's exports, so its
    # Fn::ImportValue found nothing: give it the backend's, as create_stack does.
    exports = cloudformation_backends[stack.account_id][stack.region_name].exports
    stack.cross_stack_resources = exports
    stack.resource_map.cross_stack_resources = exports
    _apply_change_set(change_set)
    stack.template = change_set.template
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    # Exported outputs become visible to Fn::ImportValue in later stacks, as create_stack does.
    for export in stack.exports:
        exports[export.name] = export


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


# --- 10. AWS::SageMaker::Pipeline ---------------------------------------------------------
def _pipeline_definition_body(properties, account_id, region_name):
    definition = properties.get("PipelineDefinition") or {}
    body = definition.get("PipelineDefinitionBody")
    location = definition.get("PipelineDefinitionS3Location")
    if body is None and location:
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        bucket = location["Bucket"]
        obj = s3_backends[account_id][get_partition(region_name)].get_object(bucket, location["Key"], version_id=location.get("Version"))
        body = obj.value.decode("utf-8")
    if not isinstance(body, str):
        raise ValueError("PipelineDefinition needs PipelineDefinitionBody (a JSON string) or PipelineDefinitionS3Location")
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as error:
        raise ValueError(f"PipelineDefinitionBody is not valid JSON: {error}") from error
    if not isinstance(parsed, dict):
        raise ValueError("PipelineDefinitionBody is not a JSON object")
    return body


class CfnSageMakerPipeline(CloudFormationModel):
    """The CloudFormation face of moto's FakePipeline; Ref is the name, as in CloudFormation."""

    # moto's model metaclass files every model under the service named in its module path.
    __module__ = "moto.sagemaker.plinth_pipeline"

    def __init__(self, pipeline):
        self.pipeline = pipeline

    @property
    def physical_resource_id(self):
        return self.pipeline.pipeline_name

    @staticmethod
    def cloudformation_name_type():
        return "PipelineName"

    @staticmethod
    def cloudformation_type():
        return "AWS::SageMaker::Pipeline"

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json.get("Properties") or {}
        if not properties.get("RoleArn"):
            raise ValueError("AWS::SageMaker::Pipeline needs RoleArn")
        pipeline = sagemaker_backends[account_id][region_name].create_pipeline(
            pipeline_name=resource_name,
            pipeline_display_name=properties.get("PipelineDisplayName"),
            pipeline_definition=_pipeline_definition_body(properties, account_id, region_name),
            pipeline_definition_s3_location=None,
            pipeline_description=properties.get("PipelineDescription"),
            role_arn=properties["RoleArn"],
            tags=properties.get("Tags") or [],
            parallelism_configuration=properties.get("ParallelismConfiguration"),
        )
        return cls(pipeline)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        properties = cloudformation_json.get("Properties") or {}
        backend = sagemaker_backends[account_id][region_name]
        name = original_resource.pipeline.pipeline_name
        if new_resource_name != name:
            backend.delete_pipeline(name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        backend.update_pipeline(
            name,
            pipeline_display_name=properties.get("PipelineDisplayName"),
            pipeline_definition=_pipeline_definition_body(properties, account_id, region_name),
            pipeline_description=properties.get("PipelineDescription"),
            role_arn=properties.get("RoleArn"),
            parallelism_configuration=properties.get("ParallelismConfiguration"),
        )
        return cls(backend.pipelines[name])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        backend = sagemaker_backends[account_id][region_name]
        name = resource_name.split("/")[-1]
        if name in backend.pipelines:
            backend.delete_pipeline(name)


def _pipeline_name_from_arn(backend, pipeline_name):
    """The pipeline's name when `pipeline_name` is the ARN of a pipeline of this account and region."""
    if isinstance(pipeline_name, str) and pipeline_name.startswith("arn:") and ":pipeline/" in pipeline_name:
        name = pipeline_name.split(":pipeline/", 1)[1].split("/")[0]
        pipeline = backend.pipelines.get(name)
        if pipeline is not None and pipeline.arn.lower() == pipeline_name.lower():
            return name
    return pipeline_name


def _accepting_pipeline_arn(method):
    def wrapper(backend, pipeline_name, *args, **kwargs):
        return method(backend, _pipeline_name_from_arn(backend, pipeline_name), *args, **kwargs)

    wrapper.__name__ = method.__name__
    return wrapper


for _method in ("describe_pipeline", "delete_pipeline", "update_pipeline", "start_pipeline_execution", "list_pipeline_executions"):
    setattr(sagemaker_models.SageMakerModelBackend, _method, _accepting_pipeline_arn(getattr(sagemaker_models.SageMakerModelBackend, _method)))

# moto caches its list of CloudFormation models: make it see the one above.
for _cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
    _cached.cache_clear()


# --- 9. Feature Store runtime -------------------------------------------------------------
# (account, region, group) -> record id -> list of (event time, write order, record)
_FEATURE_RECORDS = {}
_WRITES = [0]


def _fs_error(status, code, message):
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, json.dumps({"__type": code, "message": message})


def _fs_scope(request):
    """The caller's account (moto maps the access key, as for every other service) and region."""
    from moto.iam.models import get_account_id_from

    auth = request.headers.get("Authorization", "")
    scope = auth.split("Credential=")[1].split(",")[0].split("/") if "Credential=" in auth else []
    region = scope[2] if len(scope) > 2 else "us-east-1"
    return get_account_id_from(scope[0] if scope else ""), region


def _fs_group(account, region, name):
    backend = sagemaker_backends[account][region]
    for group in backend.feature_groups.values():
        if group.feature_group_name == name or group.arn == name:
            return group
    return None


def _event_time_key(value):
    from datetime import datetime
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _latest(account, region, group_name, record_id):
    versions = _FEATURE_RECORDS.get((account, region, group_name), {}).get(record_id, [])
    return max(versions, key=lambda v: (v[0], v[1]))[2] if versions else None


def _select(record, names):
    return [v for v in record if not names or v["FeatureName"] in names]


def _feature_store_runtime(request, full_url, headers):
    account, region = _fs_scope(request)
    path = unquote(urlparse(full_url).path)
    body = json.loads(request.data or b"{}") if request.data else {}
    if path == "/BatchGetRecord" and request.method == "POST":
        records, errors, unprocessed = [], [], []
        for ident in body.get("Identifiers", []):
            group = _fs_group(account, region, ident.get("FeatureGroupName", ""))
            for record_id in ident.get("RecordIdentifiersValueAsString", []):
                if group is None:
                    errors.append({"FeatureGroupName": ident.get("FeatureGroupName"), "RecordIdentifierValueAsString": record_id, "ErrorCode": "ResourceNotFound", "ErrorMessage": "feature group not found"})
                    continue
                record = _latest(account, region, group.feature_group_name, record_id)
                if record is not None:
                    records.append({"FeatureGroupName": ident["FeatureGroupName"], "RecordIdentifierValueAsString": record_id, "Record": _select(record, ident.get("FeatureNames"))})
        return 200, {"Content-Type": "application/json"}, json.dumps({"Records": records, "Errors": errors, "UnprocessedIdentifiers": unprocessed})
    if not path.startswith("/FeatureGroup/"):
        return _fs_error(404, "UnknownOperationException", path)
    group = _fs_group(account, region, path[len("/FeatureGroup/"):])
    if group is None:
        return _fs_error(404, "ResourceNotFound", f"feature group {path} not found")
    key = (account, region, group.feature_group_name)
    if request.method == "PUT":
        record = body.get("Record") or []
        values = {v.get("FeatureName"): v.get("ValueAsString") for v in record}
        record_id = values.get(group.record_identifier_feature_name)
        event_time = values.get(group.event_time_feature_name)
        if not record_id or not event_time:
            return _fs_error(400, "ValidationError", "the record needs its record identifier and event time")
        try:
            order = _event_time_key(event_time)
        except ValueError:
            return _fs_error(400, "ValidationError", f"event time {event_time} is not ISO 8601 or epoch seconds")
        _WRITES[0] += 1
        _FEATURE_RECORDS.setdefault(key, {}).setdefault(record_id, []).append((order, _WRITES[0], record))
        return 200, {"Content-Type": "application/json"}, "{}"
    if request.method == "GET":
        query = parse_qs(urlparse(full_url).query)
        record_id = (query.get("RecordIdentifierValueAsString") or [""])[0]
        record = _latest(account, region, group.feature_group_name, record_id)
        if record is None:
            return 200, {"Content-Type": "application/json"}, "{}"
        return 200, {"Content-Type": "application/json"}, json.dumps({"Record": _select(record, query.get("FeatureName"))})
    return _fs_error(405, "UnknownOperationException", request.method)


sagemaker_urls.url_bases.append(r"https?://featurestore-runtime\.sagemaker\.(.+)\.amazonaws\.com")
sagemaker_urls.url_paths["{0}/FeatureGroup/(?P<name>[^/]+)$"] = _feature_store_runtime
sagemaker_urls.url_paths["{0}/BatchGetRecord$"] = _feature_store_runtime

BaseResponse.call_action = _call_action_reporting_gaps
parsing.parse_and_create_resource = _create_or_skip
sagemaker_models.FakeEndpointConfig.validate_instance_type = _validate_instance_type_known_to_plinth
events_models.Rule.send_to_targets = _send_to_deliverable_targets
cloudformation_models.ChangeSet.apply = _apply_change_set_with_outputs
parsing.clean_json = _clean_json_with_stack_outputs

if __name__ == "__main__":
    main(sys.argv[1:])
