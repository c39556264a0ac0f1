# Generated from template.yaml by layers/terraform_gen.py (`make terraform`): do not edit by hand.
# Provider arguments checked against layers/terraform/provider-arguments.json (tests/terraform).

variable "topic_name" {
  type        = string
  description = "SMN topic to create for the alerts (the template's TopicUrn names an existing one)."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$", var.topic_name))
    error_message = "Variable topic_name: letters, digits, _ and -, up to 255."
  }
}

variable "state_bucket" {
  type        = string
  description = "OBS bucket for the state object and the uploaded zips (the template's StateBucket)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "Variable state_bucket: an OBS bucket name."
  }
}

variable "create_state_bucket" {
  type        = bool
  description = "Create the state bucket (false: it exists already)."
  default     = true
}

variable "region" {
  type        = string
  description = "Region to deploy to and to watch; empty means the provider's region (the template's Region)."
  default     = ""

  validation {
    condition     = var.region == "" || can(regex("^[a-z0-9]+(-[a-z0-9]+)+$", var.region))
    error_message = "Variable region: a region name such as cn-north-4, or empty."
  }
}

variable "account_id" {
  type        = string
  description = "Account (domain) ID: the SMN resource in the agency's policy names the topic's account (deploy: TASKWATCH_DEPLOY_ACCOUNT_ID)."

  validation {
    condition     = can(regex("^[A-Za-z0-9]{8,64}$", var.account_id))
    error_message = "Variable account_id: the account ID (IAM: My Credentials)."
  }
}

variable "code_zip" {
  type        = string
  description = "Local code zip (`make package`); empty: ../../build/function/taskwatch-code.zip next to this module."
  default     = ""
}

variable "layer_zip" {
  type        = string
  description = "Local dependency layer zip (`make layer`); empty: ../../build/layer/taskwatch-deps-python3.10.zip next to this module."
  default     = ""
}

variable "code_object" {
  type        = string
  description = "Key of the code zip already in the state bucket; empty: upload code_zip."
  default     = ""
}

variable "layer_object" {
  type        = string
  description = "Key of the layer zip already in the state bucket; empty: upload layer_zip."
  default     = ""
}

variable "enterprise_project_id" {
  type        = string
  description = "Enterprise project of the function (the template's EnterpriseProjectId); empty: none sent, the provider's own if it sets one."
  default     = ""
}

variable "encrypted_variables" {
  type        = map(string)
  description = "Encrypted environment variables (the template's x-taskwatch.EncryptedVariables, by value)."
  default     = {}
  sensitive   = true
}

variable "agency_name" {
  type        = string
  description = "Agency the function runs with (x-taskwatch.Agency)."
  default     = "taskwatch-agency"
}

variable "max_instances" {
  type        = number
  description = "Maximum instances; 1 keeps timer runs from overlapping (x-taskwatch.MaxInstances)."
  default     = 1
}

variable "layer_name" {
  type        = string
  description = "Dependency package name (x-taskwatch.Layer.Name)."
  default     = "taskwatch-deps"
}

variable "tags" {
  type        = map(string)
  description = "Function tags (x-taskwatch.Tags)."
  default = {
    app = "taskwatch"
  }
}

variable "alias_name" {
  type        = string
  description = "Alias the timers fire through, on the latest version (x-taskwatch.Alias)."
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,62}$", var.alias_name))
    error_message = "Variable alias_name: a letter first, then letters, digits, _ and -, up to 63."
  }
}

variable "async_retry_attempts" {
  type        = number
  description = "Retries of a failed asynchronous invocation, 0-3 (x-taskwatch.Async.RetryAttempts)."
  default     = 0

  validation {
    condition     = var.async_retry_attempts >= 0 && var.async_retry_attempts <= 3
    error_message = "Variable async_retry_attempts: 0 to 3."
  }
}

variable "async_max_event_age" {
  type        = number
  description = "Seconds an asynchronous event waits at most, 1-86400; keep it at most the shortest timer period (x-taskwatch.Async.MaxEventAge)."
  default     = 300

  validation {
    condition     = var.async_max_event_age >= 1 && var.async_max_event_age <= 86400
    error_message = "Variable async_max_event_age: 1 to 86400."
  }
}

variable "log_enabled" {
  type        = bool
  description = "LTS logging (x-taskwatch.Log.Enabled)."
  default     = true
}

variable "log_group_id" {
  type        = string
  description = "LTS group ID (x-taskwatch.Log.GroupId); empty: FunctionGraph's."
  default     = ""
}

variable "log_stream_id" {
  type        = string
  description = "LTS stream ID (x-taskwatch.Log.StreamId); empty: FunctionGraph's."
  default     = ""
}

variable "timers" {
  type = map(object({
    schedule_type = string
    schedule      = string
    user_event    = string
    enabled       = bool
  }))
  description = "Timer triggers by name (x-taskwatch.Timers); user_event is the JSON text the function gets."
  default = {
    "every-5-minutes" = {
      schedule_type = "Rate"
      schedule      = "5m"
      user_event    = "{}"
      enabled       = true
    }
    "daily-heartbeat" = {
      schedule_type = "Cron"
      schedule      = "0 0 9 * * ?"
      user_event    = "{\"heartbeat\":\"20h\"}"
      enabled       = true
    }
  }
}

variable "alarm_name" {
  type        = string
  description = "Cloud Eye alarm rule on the function's errors (x-taskwatch.ErrorAlarm.Name)."
  default     = "taskwatch-errors"
}

variable "alarm_threshold" {
  type        = number
  description = "Errors in one period that raise the alarm (Threshold)."
  default     = 1
}

variable "alarm_period" {
  type        = number
  description = "Seconds per period (Period)."
  default     = 300
}

variable "alarm_count" {
  type        = number
  description = "Consecutive periods (Count)."
  default     = 1
}

variable "alarm_suppress_duration" {
  type        = number
  description = "Seconds between repeated notifications (SuppressDuration)."
  default     = 3600
}

variable "alarm_level" {
  type        = number
  description = "Severity 1-4 (Level)."
  default     = 2
}

variable "alarm_enabled" {
  type        = bool
  description = "Whether the rule is enabled (Enabled)."
  default     = true
}
