# Three Iterable connections as a Terraform or OpenTofu user declares them with Fivetran's provider, in the
# three shapes its documentation shows: `fivetran_connector` with its schedule and schema config (as a map,
# and as `schemas_json`), and the newer `fivetran_connection` / `fivetran_connection_config` pair (with the
# schema config's `schema` blocks). The states beside this file were made from it against the emulator (see
# README.md here). The keys are canaries: Terraform keeps them in the state in plain text.

terraform {
  required_providers {
    fivetran = {
      source  = "registry.terraform.io/fivetran/fivetran"
      version = "1.9.37"
    }
  }
}

# Credentials and the API's URL come from FIVETRAN_APIKEY, FIVETRAN_APISECRET and FIVETRAN_API_URL.
provider "fivetran" {}

variable "marketing_us_key" {
  type      = string
  sensitive = true
  default   = "itbl-canary-tf-marketing-us-7f3a"
}

variable "lifecycle_eu_key" {
  type      = string
  sensitive = true
  default   = "itbl-canary-tf-lifecycle-eu-41c9"
}

variable "product_events_key" {
  type      = string
  sensitive = true
  default   = "itbl-canary-tf-product-events-d20b"
}

# 1. Selected events, hourly, one table blocked and one column hashed (the schema config as a map).
resource "fivetran_connector" "marketing_us" {
  group_id        = "warehouse_main"
  service         = "iterable"
  run_setup_tests = true

  destination_schema {
    name = "iterable_marketing_us"
  }

  config {
    api_key        = var.marketing_us_key
    account_region = "US"
    sync_mode      = "SelectedEvents"
    events         = ["emailSend", "emailOpen", "emailClick"]
  }
}

resource "fivetran_connector_schedule" "marketing_us" {
  connector_id   = fivetran_connector.marketing_us.id
  sync_frequency = "60"
  paused         = "false"
  schedule_type  = "auto"
}

resource "fivetran_connector_schema_config" "marketing_us" {
  connector_id           = fivetran_connector.marketing_us.id
  schema_change_handling = "ALLOW_COLUMNS"
  schemas = {
    "iterable" = {
      enabled = true
      tables = {
        "list_user_history" = {
          enabled = false
        }
        "user_history" = {
          enabled = true
          columns = {
            "email" = {
              enabled = true
              hashed  = true
            }
          }
        }
      }
    }
  }
}

# 2. An EU project, daily at 03:00, history from a date on (the schema config as JSON).
resource "fivetran_connector" "lifecycle_eu" {
  group_id        = "warehouse_eu"
  service         = "iterable"
  run_setup_tests = true

  destination_schema {
    name = "iterable_lifecycle_eu"
  }

  config {
    api_key                    = var.lifecycle_eu_key
    account_region             = "EU"
    historical_sync_limit      = "DATE_LIMIT"
    historical_sync_limit_date = "2024-01-01"
  }
}

resource "fivetran_connector_schedule" "lifecycle_eu" {
  connector_id    = fivetran_connector.lifecycle_eu.id
  sync_frequency  = "1440"
  daily_sync_time = "03:00"
  paused          = "false"
  schedule_type   = "auto"
}

resource "fivetran_connector_schema_config" "lifecycle_eu" {
  connector_id           = fivetran_connector.lifecycle_eu.id
  schema_change_handling = "ALLOW_ALL"
  schemas_json = jsonencode({
    iterable = {
      enabled = true
      tables = {
        list_user_history = { enabled = false }
        user_history = {
          enabled = true
          columns = { email = { enabled = true, hashed = true } }
        }
      }
    }
  })
}

# 3. The newer pair: the connection with what its create needs (the key), then the rest of its config;
#    selected events and custom events, every 6 hours, the schema config in `schema` blocks.
resource "fivetran_connection" "product_events" {
  group_id        = "warehouse_main"
  service         = "iterable"
  run_setup_tests = true

  destination_schema {
    name = "iterable_product_events"
  }

  config = jsonencode({
    api_key = var.product_events_key
  })
}

resource "fivetran_connection_config" "product_events" {
  connection_id = fivetran_connection.product_events.id
  config = jsonencode({
    account_region         = "US"
    sync_mode              = "SelectedEvents"
    events                 = ["pushSend", "pushOpen"]
    custom_event_sync_mode = "SelectedEvents"
    custom_events          = ["checkoutStarted"]
  })
}

resource "fivetran_connector_schedule" "product_events" {
  connector_id   = fivetran_connection_config.product_events.connection_id
  sync_frequency = "360"
  paused         = "false"
  schedule_type  = "auto"
}

resource "fivetran_connector_schema_config" "product_events" {
  connector_id           = fivetran_connection_config.product_events.connection_id
  schema_change_handling = "ALLOW_ALL"
  schema {
    name    = "iterable"
    enabled = true
    table {
      name    = "list_user_history"
      enabled = false
    }
    table {
      name    = "user_history"
      enabled = true
      column {
        name    = "email"
        enabled = true
        hashed  = true
      }
    }
  }
}
