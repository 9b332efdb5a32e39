#!/usr/bin/env bash
# Setup of the tempest network area (compat/tempest-areas): the external network "public" with a subnet, as
# devstack makes it, for the floating IP and external network tests. Prints its id as a tempest setting.
set -euo pipefail
export OS_AUTH_URL=$STRATUS_AUTH_URL OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin OS_PASSWORD=$STRATUS_ADMIN_PASSWORD \
  OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
o=/usr/bin/openstack
id=$($o network show public -f value -c id 2>/dev/null || true)
if [ -z "$id" ]; then
  id=$($o network create --external public -f value -c id)
  $o subnet create --network public --subnet-range 172.24.4.0/24 --no-dhcp public-subnet >/dev/null
fi
echo "network.public_network_id=$id"
