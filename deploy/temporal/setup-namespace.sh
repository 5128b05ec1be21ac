#!/bin/sh
# One-shot (temporal-setup service): once the server answers, make sure the
# namespace exists and that it knows the custom search attributes the workflows
# publish (src/loyalty/contracts/search.py; tests/unit/test_compose.py checks
# that this list matches it). Every step tolerates "already exists".
set -eu
: "${TEMPORAL_ADDRESS:?}" "${LOYALTY_TEMPORAL_NAMESPACE:?}"
ns="$LOYALTY_TEMPORAL_NAMESPACE"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do sleep 2; done
temporal operator namespace describe -n "$ns" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$ns" --retention 30d --address "$TEMPORAL_ADDRESS"
for attribute in LoyaltyMemberId:Keyword LoyaltyStatus:Keyword LoyaltyRewardId:Keyword \
                 LoyaltyPoints:Int LoyaltyChannel:Keyword LoyaltyRequestedBy:Keyword; do
  temporal operator search-attribute create --namespace "$ns" --address "$TEMPORAL_ADDRESS" \
    --name "${attribute%%:*}" --type "${attribute##*:}" \
    || echo "search attribute ${attribute%%:*} already registered"
done
