#!/usr/bin/env bash
# Setup of the tempest compute area (compat/tempest-areas): a shared network with a /16 subnet that every
# test project's servers can use, named as tempest's compute.fixed_network_name (tempest's own isolated
# networks are off in the shared tempest.conf). Prints the setting.
set -euo pipefail
export OS_AUTH_URL=$STRATUS_AUTH_URL OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin OS_PASSWORD=$STRATUS_ADMIN_PASSWORD \
  OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
o=/usr/bin/openstack
if ! $o network show tempest-shared >/dev/null 2>&1; then
  $o network create --share tempest-shared >/dev/null
  $o subnet create --network tempest-shared --subnet-range 10.99.0.0/16 tempest-shared-v4 >/dev/null
fi
echo "compute.fixed_network_name=tempest-shared"
