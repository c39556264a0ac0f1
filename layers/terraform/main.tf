# Generated from template.yaml by layers/terraform_gen.py (`make terraform`): do not edit by hand.
# Provider arguments checked against layers/terraform/provider-arguments.json (tests/terraform).

locals {
  region       = var.region != "" ? var.region : huaweicloud_smn_topic.alerts.region
  code_zip     = var.code_zip != "" ? var.code_zip : "${path.module}/../../build/function/taskwatch-code.zip"
  layer_zip    = var.layer_zip != "" ? var.layer_zip : "${path.module}/../../build/layer/taskwatch-deps-python3.10.zip"
  code_object  = coalesce(var.code_object, one(huaweicloud_obs_bucket_object.code[*].key))
  layer_object = coalesce(var.layer_object, one(huaweicloud_obs_bucket_object.layer[*].key))
  obs_host     = "${var.state_bucket}.obs.${local.region}.myhuaweicloud.com"
}

resource "huaweicloud_smn_topic" "alerts" {
  name         = var.topic_name
  display_name = "taskwatch"
}

resource "huaweicloud_obs_bucket" "state" {
  count  = var.create_state_bucket ? 1 : 0
  bucket = var.state_bucket
  acl    = "private"
}

resource "huaweicloud_obs_bucket_object" "code" {
  # A new key per content: FunctionGraph takes new code or a new dependency version.
  count        = var.code_object == "" ? 1 : 0
  bucket       = var.state_bucket
  key          = "taskwatch/deploy/taskwatch-code-${substr(filesha256(local.code_zip), 0, 16)}.zip"
  source       = local.code_zip
  etag         = filemd5(local.code_zip)
  content_type = "application/zip"
  depends_on   = [huaweicloud_obs_bucket.state]

  lifecycle {
    create_before_destroy = true
  }
}

resource "huaweicloud_obs_bucket_object" "layer" {
  # A new key per content: FunctionGraph takes new code or a new dependency version.
  count        = var.layer_object == "" ? 1 : 0
  bucket       = var.state_bucket
  key          = "taskwatch/deploy/taskwatch-deps-python3.10-${substr(filesha256(local.layer_zip), 0, 16)}.zip"
  source       = local.layer_zip
  etag         = filemd5(local.layer_zip)
  content_type = "application/zip"
  depends_on   = [huaweicloud_obs_bucket.state]

  lifecycle {
    create_before_destroy = true
  }
}

resource "huaweicloud_fgs_dependency_version" "layer" {
  name        = var.layer_name
  runtime     = "Python3.10"
  link        = "https://${local.obs_host}/${local.layer_object}"
  description = "taskwatch layer obs://${var.state_bucket}/${local.layer_object}"

  # A new zip replaces this version (link is ForceNew): the new one first, then the function moves to it, then the old one goes, as deploy orders it.
  lifecycle {
    create_before_destroy = true
  }
}

resource "huaweicloud_identity_role" "regional" {
  name        = "taskwatch-regional"
  description = "taskwatch function: task center listings and the SMN publish (project-level services)"
  type        = "XA"
  policy = jsonencode({
    "Version" = "1.1"
    "Statement" = [
      {
        "Effect" = "Allow"
        "Action" = ["gaussdb:instance:list"]
      },
      {
        "Effect" = "Allow"
        "Action" = ["dds:task:list"]
      },
      {
        "Effect" = "Allow"
        "Action" = ["rds:task:list"]
      },
      {
        "Effect"   = "Allow"
        "Action"   = ["smn:topic:publish"]
        "Resource" = ["smn:${local.region}:${var.account_id}:topic:${var.topic_name}"]
      },
    ]
  })
}

resource "huaweicloud_identity_role" "obs_global" {
  name        = "taskwatch-obs-global"
  description = "taskwatch function: the state object in OBS (global services)"
  type        = "AX"
  policy = jsonencode({
    "Version" = "1.1"
    "Statement" = [
      {
        "Effect" = "Allow"
        "Action" = ["obs:object:GetObject", "obs:object:PutObject"]
        "Resource" = [
          "obs:*:*:object:${var.state_bucket}/taskwatch/state.json",
          "obs:*:*:object:${var.state_bucket}/taskwatch/state.json.*",
          "obs:*:*:object:${var.state_bucket}/taskwatch/state-*.json",
          "obs:*:*:object:${var.state_bucket}/taskwatch/state-*.json.*",
        ]
      },
    ]
  })
}

resource "huaweicloud_identity_role" "obs_project" {
  name        = "taskwatch-obs-project"
  description = "taskwatch function: the state object in OBS (project-level services)"
  type        = "XA"
  policy = jsonencode({
    "Version" = "1.1"
    "Statement" = [
      {
        "Effect" = "Allow"
        "Action" = ["obs:object:GetObject", "obs:object:PutObject"]
        "Resource" = [
          "obs:*:*:object:${var.state_bucket}/taskwatch/state.json",
          "obs:*:*:object:${var.state_bucket}/taskwatch/state.json.*",
          "obs:*:*:object:${var.state_bucket}/taskwatch/state-*.json",
          "obs:*:*:object:${var.state_bucket}/taskwatch/state-*.json.*",
        ]
      },
    ]
  })
}

resource "huaweicloud_identity_agency" "function" {
  name                  = var.agency_name
  description           = "taskwatch function: FunctionGraph's agency (layers/README.md)"
  delegated_domain_name = "op_svc_cff"
  domain_roles          = [huaweicloud_identity_role.obs_global.name]

  project_role {
    project = local.region
    roles = [
      huaweicloud_identity_role.regional.name,
      huaweicloud_identity_role.obs_project.name,
    ]
  }
}

resource "huaweicloud_fgs_function" "taskwatch" {
  name        = "taskwatch"
  app         = "default"
  description = "Reports failed asynchronous database tasks (TaurusDB, GaussDB, DDS) to SMN, once each."
  handler     = "index.handler"
  runtime     = "Python3.10"
  memory_size = 128
  timeout     = 120
  code_type   = "obs"
  code_url    = "https://${local.obs_host}/${local.code_object}"
  depend_list = [huaweicloud_fgs_dependency_version.layer.version_id]
  user_data = jsonencode({
    "TASKWATCH_REGION"        = local.region
    "TASKWATCH_SMN_TOPIC_URN" = huaweicloud_smn_topic.alerts.topic_urn
    "TASKWATCH_STATE_URI"     = "obs://${var.state_bucket}/taskwatch/state.json"
    "TASKWATCH_LOG_LEVEL"     = "INFO"
  })
  encrypted_user_data   = length(var.encrypted_variables) > 0 ? jsonencode(var.encrypted_variables) : null
  agency                = huaweicloud_identity_agency.function.name
  functiongraph_version = "v2"
  max_instance_num      = tostring(var.max_instances)
  enterprise_project_id = var.enterprise_project_id != "" ? var.enterprise_project_id : null
  tags                  = var.tags
  enable_lts_log        = var.log_enabled
  log_group_id          = var.log_group_id != "" ? var.log_group_id : null
  log_stream_id         = var.log_stream_id != "" ? var.log_stream_id : null

  versions {
    # No version is published: the alias is on latest, so it runs what the last apply wrote (README.md).
    name = "latest"

    aliases {
      name = var.alias_name
    }
  }
}

resource "huaweicloud_fgs_async_invoke_configuration" "function" {
  function_urn                   = huaweicloud_fgs_function.taskwatch.urn
  max_async_retry_attempts       = var.async_retry_attempts
  max_async_event_age_in_seconds = var.async_max_event_age
}

resource "huaweicloud_fgs_function_trigger" "timer" {
  for_each = var.timers

  # On the alias (the provider sends function_urn as given: the qualified URN).
  function_urn = "${huaweicloud_fgs_function.taskwatch.urn}:${var.alias_name}"
  type         = "TIMER"
  event_data = jsonencode({
    "name"          = each.key
    "schedule_type" = each.value.schedule_type
    "schedule"      = each.value.schedule
    "user_event"    = each.value.user_event
  })
  status = each.value.enabled ? "ACTIVE" : "DISABLED"
}

resource "huaweicloud_ces_alarmrule" "errors" {
  alarm_name           = var.alarm_name
  alarm_description    = "taskwatch: invocation errors of FunctionGraph function default/taskwatch"
  alarm_type           = "MULTI_INSTANCE"
  alarm_enabled        = var.alarm_enabled
  alarm_action_enabled = true

  metric {
    namespace = "SYS.FunctionGraph"
  }

  resources {
    dimensions {
      name  = "package-functionname"
      value = "default-taskwatch"
    }
  }

  condition {
    metric_name         = "failcount"
    period              = var.alarm_period
    filter              = "sum"
    comparison_operator = ">="
    value               = var.alarm_threshold
    count               = var.alarm_count
    suppress_duration   = var.alarm_suppress_duration
    alarm_level         = var.alarm_level
  }

  alarm_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }

  ok_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }

  depends_on = [huaweicloud_fgs_function.taskwatch]
}
