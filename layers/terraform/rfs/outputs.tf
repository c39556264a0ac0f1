# Generated from template.yaml by layers/terraform_gen.py (`make terraform`): do not edit by hand.
# Provider arguments checked against layers/terraform/provider-arguments.json (tests/terraform).
# For Resource Formation Service: the zips go into the state bucket first (layers/terraform/README.md).

output "function_urn" {
  description = "The function's URN."
  value       = huaweicloud_fgs_function.taskwatch.urn
}

output "alias_urn" {
  description = "The alias the timers fire through."
  value       = "${huaweicloud_fgs_function.taskwatch.urn}:${var.alias_name}"
}

output "topic_urn" {
  description = "Subscribe to this topic to receive the alerts."
  value       = huaweicloud_smn_topic.alerts.topic_urn
}

output "dependency_version" {
  description = "The layer's dependency version ID."
  value       = huaweicloud_fgs_dependency_version.layer.version_id
}
