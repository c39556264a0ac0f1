# Generated from template.yaml by layers/terraform_gen.py (`make terraform`): do not edit by hand.
# Provider arguments checked against layers/terraform/provider-arguments.json (tests/terraform).
# For Resource Formation Service: the zips go into the state bucket first (layers/terraform/README.md).

terraform {
  required_providers {
    huaweicloud = {
      source  = "huawei.com/provider/huaweicloud"
      version = ">= 1.97.1"
    }
  }
}

provider "huaweicloud" {
  # Empty region: the provider's own (HW_REGION_NAME), as the template's empty Region means the topic's.
  region = var.region != "" ? var.region : null
}
