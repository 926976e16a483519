#!/usr/bin/env bash
# Smoke test: the README walkthrough, request by request, against a running server.
#   usage: tests/smoke.sh BASE_URL        e.g. tests/smoke.sh http://127.0.0.1:8080
#
# KEEP IN STEP WITH README.md ("Walkthrough"): this script sends exactly the requests shown
# there, in the same order, with the same variables (BASE, RUN, SELLER_TOKEN, BUYER_TOKEN,
# PRODUCT_ID, POSTING, ...). Only the capture differs: here `req` stands for the README's `curl -s`
# and records the status code and body for the checks. Change one, change the other, and
# tests/client/walkthrough.ts, which sends the same requests through a typed client.
#
# Prints "ok - <step>" or "not ok - <step>: <details>" per check and ends with one line
# "N passed, M failed"; exits non-zero if any check failed. Needs curl and jq.
set -uo pipefail

BASE=${1:?usage: tests/smoke.sh BASE_URL}
BASE=${BASE%/}
RUN=$RANDOM$$ # unique e-mails and offer id per run, so the script can run again and again

for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "not ok - smoke needs $tool"; echo "0 passed, 1 failed"; exit 1; }
done

TMP=$(mktemp -d /tmp/sellerdesk-smoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0
STATUS= BODY=

# req ARGS...: the README's `curl -s ARGS...`; sets STATUS (000 when there was no answer) and BODY.
req() {
    STATUS=$(curl -s --max-time 15 -o "$TMP/body" -w '%{http_code}' "$@")
    [ -n "$STATUS" ] || STATUS=000
    BODY=$(cat "$TMP/body" 2>/dev/null)
    : >"$TMP/body"
}

# check STEP EXPECTED_STATUS JQ_CONDITION...: every condition must be true of BODY.
check() {
    local step=$1 want=$2 cond
    shift 2
    if [ "$STATUS" != "$want" ]; then
        not_ok "$step" "HTTP $STATUS, expected $want; body: ${BODY:0:400}"
        return 1
    fi
    for cond in "$@"; do
        if ! jq -e "$cond" >/dev/null 2>&1 <<<"$BODY"; then
            not_ok "$step" "expected $cond; body: ${BODY:0:400}"
            return 1
        fi
    done
    passed=$((passed + 1))
    echo "ok - $step"
}
not_ok() {
    failed=$((failed + 1))
    echo "not ok - $1: $2"
}

# --- 1. register a seller and a buyer ------------------------------------------------------
req "$BASE/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"seller-$RUN@example.com\",\"password\":\"correct-horse-1\",\"role\":\"seller\",\"display_name\":\"Tea House\"}"
check "register a seller" 201 \
    '.id | type == "number"' ".email == \"seller-$RUN@example.com\"" '.role == "seller"' \
    '.display_name == "Tea House"' '.created_at | type == "string"' 'has("password_hash") | not'
SELLER_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)

req "$BASE/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"buyer-$RUN@example.com\",\"password\":\"correct-horse-1\",\"role\":\"buyer\",\"display_name\":\"Anna\"}"
check "register a buyer" 201 \
    '.id | type == "number"' ".email == \"buyer-$RUN@example.com\"" '.role == "buyer"'
BUYER_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)

# --- 2. log both in ------------------------------------------------------------------------
req "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"seller-$RUN@example.com\",\"password\":\"correct-horse-1\"}"
check "log the seller in" 200 \
    '.token_type == "Bearer"' '.access_token | type == "string" and length > 20' \
    '.refresh_token | type == "string" and length > 0' '.expires_in | type == "number" and . > 0'
SELLER_TOKEN=$(jq -r '.access_token // empty' <<<"$BODY" 2>/dev/null)

req "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"buyer-$RUN@example.com\",\"password\":\"correct-horse-1\"}"
check "log the buyer in" 200 \
    '.token_type == "Bearer"' '.access_token | type == "string" and length > 20'
BUYER_TOKEN=$(jq -r '.access_token // empty' <<<"$BODY" 2>/dev/null)

# --- 3. the seller creates a product -------------------------------------------------------
req "$BASE/v1/products" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: product-$RUN" \
  -d "{\"offer_id\":\"TEA-$RUN\",\"name\":\"Green tea Sencha 100 g\",\"price\":49000,\"stock\":10}"
check "the seller creates a product" 201 \
    '.id | type == "number"' '.sku | type == "number" and . >= 100000001' \
    ".offer_id == \"TEA-$RUN\"" '.price == 49000' '.stock == 10' \
    ".seller_id == ${SELLER_ID:-null}"
PRODUCT_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)

# --- 4. the buyer places an order ----------------------------------------------------------
req "$BASE/v1/orders" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: order-$RUN" \
  -d "{\"items\":[{\"product_id\":$PRODUCT_ID,\"quantity\":2}]}"
check "the buyer places an order" 201 \
    '.postings | length == 1' '.total == 98000' ".buyer_id == ${BUYER_ID:-null}" \
    '.postings[0].status == "awaiting_packaging"' \
    '.postings[0].posting_number | type == "string" and length > 0' \
    ".postings[0].seller_id == ${SELLER_ID:-null}" \
    ".postings[0].items | length == 1 and .[0].product_id == ${PRODUCT_ID:-null} and .[0].quantity == 2" \
    '.postings[0].delivered_at == null'
POSTING=$(jq -r '.postings[0].posting_number // empty' <<<"$BODY" 2>/dev/null)

# --- 5. the seller ships, then delivers ----------------------------------------------------
req "$BASE/v1/postings/$POSTING/status" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' -d '{"status":"delivering"}'
check "the seller moves the posting to delivering" 200 \
    ".posting_number == \"$POSTING\"" '.status == "delivering"' '.delivering_at != null' \
    '.delivered_at == null'

req "$BASE/v1/postings/$POSTING/status" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' -d '{"status":"delivered"}'
check "the seller moves the posting to delivered" 200 \
    '.status == "delivered"' '.delivered_at != null' '.delivering_at != null'

# --- 6. the buyer looks at the posting -----------------------------------------------------
req "$BASE/v1/postings/$POSTING" -H "Authorization: Bearer $BUYER_TOKEN"
check "the buyer gets the delivered posting" 200 \
    ".posting_number == \"$POSTING\"" '.status == "delivered"' '.delivered_at != null' \
    ".buyer_id == ${BUYER_ID:-null}" '.cancelled_at == null'

# --- 7. the buyer writes to the seller about the posting -----------------------------------
req "$BASE/v1/chats" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"kind\":\"buyer_seller\",\"posting_number\":\"$POSTING\"}"
check "the buyer starts a chat about the posting" 201 \
    '.kind == "buyer_seller"' '.status == "open"' ".counterpart.id == ${SELLER_ID:-null}" \
    '.counterpart.role == "seller"' ".context.posting_number == \"$POSTING\"" \
    '[.. | objects | has("email")] | any | not'
CHAT_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)
req "$BASE/v1/chats/$CHAT_ID/messages" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"text":"Thank you, the tea arrived! Will you have the 250 g pack again?"}'
check "the buyer sends a message" 201 \
    ".chat_id == ${CHAT_ID:-null}" '.author.role == "buyer"' '.read_by_counterpart == false' \
    '.text == "Thank you, the tea arrived! Will you have the 250 g pack again?"'

# --- 8. the seller finds the unread chat, reads it and answers ------------------------------
req "$BASE/v1/chats?unread_only=true" -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller sees the unread chat" 200 \
    '.total_unread == 1' ".items | length == 1 and .[0].id == ${CHAT_ID:-null}" \
    '.items[0].unread_count == 1' '.items[0].awaiting_reply_since != null'
req "$BASE/v1/chats/$CHAT_ID/messages?limit=1" -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller gets the last message" 200 '.items | length == 1'
LAST_ID=$(jq -r '.items[0].id // empty' <<<"$BODY" 2>/dev/null)
req "$BASE/v1/chats/$CHAT_ID/read" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' -d "{\"up_to_message_id\":$LAST_ID}"
check "the seller marks the chat read" 200 '.unread_count == 0'
req "$BASE/v1/chats/$CHAT_ID/messages" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"text":"Write me on WhatsApp: +7 916 123-45-67"}'
check "contacts in a message are refused" 422 \
    '.code == "content_violation"' '[.violations[].rule] | index("phone") != null'
req "$BASE/v1/chats/$CHAT_ID/messages" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"text":"Yes, the 250 g pack is back next week."}'
check "the seller answers" 201 '.author.role == "seller"'

# --- 9. the buyer reads the conversation ----------------------------------------------------
req "$BASE/v1/chats/$CHAT_ID/messages" -H "Authorization: Bearer $BUYER_TOKEN"
check "the buyer reads the conversation" 200 \
    '.items | length == 2' '.items[0].author.role == "seller"' \
    '.items[0].text == "Yes, the 250 g pack is back next week."' \
    '.items[1].read_by_counterpart == true' '.items[0].read_by_counterpart == false'

# --- 10. the buyer asks about the product ---------------------------------------------------
req "$BASE/v1/products/$PRODUCT_ID/questions" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' -d '{"text":"Is this tea from the spring harvest?"}'
check "the buyer asks a question" 201 \
    ".product.id == ${PRODUCT_ID:-null}" '.status == "new"' '.moderation.status == "approved"' \
    '.moderation.due_at != null' '.author.display_name == "Anna"'
QUESTION_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)

# --- 11. the seller finds the new question and answers it ----------------------------------
req "$BASE/v1/questions/counts" -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller counts one new question" 200 \
    '. == {"all":1,"new":1,"viewed":0,"processed":0}'
req "$BASE/v1/questions?status=new&q=harvest" -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller finds it by a word" 200 \
    ".items | length == 1 and .[0].id == ${QUESTION_ID:-null}" '.items[0].status == "new"'
req "$BASE/v1/questions/$QUESTION_ID/answers" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"text":"It is cheaper at www.teashop-example.ru"}'
check "an answer with a link is refused" 422 \
    '.code == "content_violation"' '[.violations[].rule] | index("url") != null'
req "$BASE/v1/questions/$QUESTION_ID/answers" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"text":"Yes, it is the first flush, picked in April and May."}'
check "the seller answers; the answer waits for moderation" 201 \
    ".question_id == ${QUESTION_ID:-null}" '.moderation_status == "pending"' \
    '.moderation_due_at != null' '.published == false'
ANSWER_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)

# --- 12. support approves the answer --------------------------------------------------------
req "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"support@demo.sellerdesk.dev","password":"demo-password-1"}'
check "support logs in" 200 '.access_token | length > 0'
SUPPORT_TOKEN=$(jq -r '.access_token // empty' <<<"$BODY" 2>/dev/null)
req "$BASE/v1/moderation/queue?kind=answer&limit=100" -H "Authorization: Bearer $SUPPORT_TOKEN"
check "the answer is in the moderation queue" 200 \
    "[.items[] | select(.id == ${ANSWER_ID:-null})] | length == 1 and .[0].question.id == ${QUESTION_ID:-null}"
req "$BASE/v1/moderation/decisions" -H "Authorization: Bearer $SUPPORT_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"kind\":\"answer\",\"id\":$ANSWER_ID,\"decision\":\"approve\"}"
check "support approves it" 200 '.moderation_status == "approved"' '.decided_by != null'

# --- 13. the buyer sees the answer -----------------------------------------------------------
req "$BASE/v1/products/$PRODUCT_ID/questions" -H "Authorization: Bearer $BUYER_TOKEN"
check "the product page shows the published answer" 200 \
    '.items | length == 1' '.items[0].status == "processed"' \
    '.items[0].answers | map(.text) == ["Yes, it is the first flush, picked in April and May."]'
req "$BASE/v1/notifications?limit=1" -H "Authorization: Bearer $BUYER_TOKEN"
check "the buyer is notified" 200 '.items[0].event == "question.answer_published"'
req "$BASE/v1/questions/counts" -H "Authorization: Bearer $SELLER_TOKEN"
check "the question is processed for the seller" 200 \
    '. == {"all":1,"new":0,"viewed":0,"processed":1}'

# --- 14. the buyer reviews the tea with a photo ---------------------------------------------
base64 -d >"$TMP/tea.png" <<<'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
req "$BASE/v1/files" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: image/png' --data-binary @"$TMP/tea.png"
check "the buyer uploads a photo" 201 '.content_type == "image/png"' '.size == 70'
PHOTO_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)
req "$BASE/v1/reviews" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"posting_number\":\"$POSTING\",\"product_id\":$PRODUCT_ID,\"rating\":5,\"text\":\"Fresh spring tea, a sweet aftertaste.\",\"pros\":\"Aroma\",\"media\":[$PHOTO_ID]}"
check "the buyer reviews the delivered tea with the photo" 201 \
    ".product.id == ${PRODUCT_ID:-null}" '.rating == 5' '.published == true' '.status == "new"' \
    ".media | map(.id) == [${PHOTO_ID:-null}]" '.moderation.status == "approved"'
REVIEW_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)
req "$BASE/v1/reviews" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"posting_number\":\"$POSTING\",\"product_id\":$PRODUCT_ID,\"rating\":1}"
check "a second review of the same purchase is refused" 409 \
    '.code == "review_exists"' ".review_id == ${REVIEW_ID:-null}"

# --- 15. the seller finds the review and answers it -----------------------------------------
req "$BASE/v1/reviews/counts" -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller counts one new review" 200 \
    '.all == 1 and .new == 1 and .unanswered == 1 and .by_rating["5"] == 1'
req "$BASE/v1/reviews?status=new&rating=4,5&has_media=true&q=aftertaste" \
  -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller finds it with filters and a word" 200 \
    ".items | length == 1 and .[0].id == ${REVIEW_ID:-null}"
# (binary: compared with the file sent instead of checked as JSON)
STATUS=$(curl -s --max-time 15 -o "$TMP/seen.png" -w '%{http_code}' "$BASE/v1/files/$PHOTO_ID" \
  -H "Authorization: Bearer $SELLER_TOKEN")
if [ "$STATUS" = 200 ] && cmp -s "$TMP/tea.png" "$TMP/seen.png"; then
    passed=$((passed + 1)); echo "ok - the seller sees the same photo"
else
    not_ok "the seller sees the same photo" "HTTP $STATUS"
fi
req "$BASE/v1/reviews/$REVIEW_ID/comments" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"text":"Thank you! The next harvest arrives in May."}'
check "the seller answers; the official answer waits for moderation" 201 \
    '.is_official == true' '.moderation.status == "pending"'
COMMENT_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)

# --- 16. support approves the answer --------------------------------------------------------
req "$BASE/v1/moderation/queue?kind=review_comment&limit=100" -H "Authorization: Bearer $SUPPORT_TOKEN"
check "the answer is in the moderation queue" 200 \
    "[.items[] | select(.id == ${COMMENT_ID:-null})] | length == 1 and .[0].review.id == ${REVIEW_ID:-null}"
req "$BASE/v1/moderation/decisions" -H "Authorization: Bearer $SUPPORT_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"kind\":\"review_comment\",\"id\":$COMMENT_ID,\"decision\":\"approve\"}"
check "support approves it" 200 '.moderation_status == "approved"'

# --- 17. the product page and its rating -----------------------------------------------------
req "$BASE/v1/products/$PRODUCT_ID/reviews" -H "Authorization: Bearer $BUYER_TOKEN"
check "the product page shows the review with the seller's answer" 200 \
    '.items | length == 1' '.items[0].status == "processed"' '.items[0].answered == true' \
    '.items[0].comments | map(.text) == ["Thank you! The next harvest arrives in May."]'
req "$BASE/v1/products/$PRODUCT_ID/rating" -H "Authorization: Bearer $BUYER_TOKEN"
check "the product's rating" 200 \
    '.count == 1 and .average == 5 and .histogram["5"] == 1'
req "$BASE/v1/notifications?limit=1" -H "Authorization: Bearer $BUYER_TOKEN"
check "the buyer is told of the answer" 200 '.items[0].event == "review.comment_published"'

# --- 18. support starts a promotion; the seller adds the tea at a discount ---------------------
req "$BASE/v1/promotions" -H "Authorization: Bearer $SUPPORT_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"title\":\"Spring tea week\",\"type\":\"discount\",\"date_start\":\"$(date -u +%FT%TZ)\",\"date_end\":\"$(date -u -d '+7 days' +%FT%TZ)\",\"min_discount_percent\":5,\"max_discount_percent\":50,\"audience\":\"sellers\",\"seller_ids\":[${SELLER_ID:-0}]}"
check "support creates a promotion for the seller" 201 \
    '.phase == "running"' ".seller_ids == [${SELLER_ID:-null}]" '.min_discount_percent == 5'
PROMO_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)
req "$BASE/v1/promotions?state=available" -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller sees it available" 200 \
    "[.items[] | select(.id == ${PROMO_ID:-null})] | length == 1 and .[0].candidate_products_count == 1"
req "$BASE/v1/promotions/$PROMO_ID/candidates" -H "Authorization: Bearer $SELLER_TOKEN"
check "the tea is a candidate with its price bounds" 200 \
    ".items | length == 1 and .[0].product_id == ${PRODUCT_ID:-null}" \
    '.items[0].max_action_price == 46550 and .items[0].min_action_price == 24500'
req "$BASE/v1/promotions/$PROMO_ID/products" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"products\":[{\"product_id\":$PRODUCT_ID,\"discount_percent\":20,\"quantity\":3},{\"product_id\":1,\"action_price\":100,\"quantity\":1}]}"
check "the seller adds the tea at 20 % off; another seller's product is rejected" 200 \
    ".accepted == [{\"product_id\":${PRODUCT_ID:-null},\"action_price\":39200,\"discount_percent\":20,\"quantity\":3,\"sold\":0,\"remaining\":3}]" \
    '.rejected == [{"product_id":1,"reason":"not_yours","limit":null}]'

# --- 19. the buyer's order is charged the action price ---------------------------------------
req "$BASE/v1/orders" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"items\":[{\"product_id\":$PRODUCT_ID,\"quantity\":1}]}"
check "the buyer pays the action price" 201 '.total == 39200' \
    ".postings[0].items[0] | .price == 49000 and .paid == 39200 and .promotion == {\"id\":${PROMO_ID:-null},\"action_price\":39200,\"quantity\":1}"
req "$BASE/v1/promotions/$PROMO_ID/products" -H "Authorization: Bearer $SELLER_TOKEN"
check "the promotion counts the unit sold" 200 \
    '.items | length == 1 and .[0].sold == 1 and .[0].remaining == 2'

# --- 20. one pack arrived torn: the buyer opens a dispute --------------------------------------
req "$BASE/v1/disputes" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"posting_number\":\"$POSTING\",\"items\":[{\"product_id\":$PRODUCT_ID,\"quantity\":1}],\"reason\":\"damaged\",\"text\":\"One of the two packs arrived with a torn bag; half of the tea spilled.\",\"requested\":\"partial_refund\",\"amount\":25000}"
check "the buyer opens a dispute on one pack" 201 \
    '.state == "awaiting_seller"' '.paid == 49000 and .amount == 25000' \
    '.allowed_actions == ["withdraw"]' '.history | map(.action) == ["open"]'
DISPUTE_ID=$(jq -r '.id // empty' <<<"$BODY" 2>/dev/null)
req "$BASE/v1/disputes?state=awaiting_seller" -H "Authorization: Bearer $SELLER_TOKEN"
check "the seller sees it with what they may do" 200 \
    "[.items[] | select(.id == ${DISPUTE_ID:-null})] | length == 1 and .[0].allowed_actions == [\"accept\",\"offer\",\"reject\"]"

# --- 21. the seller writes in the thread and offers less ----------------------------------------
req "$BASE/v1/disputes/$DISPUTE_ID/messages" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"text":"We are sorry about the bag. The tea that stayed in it is still good to drink."}'
check "the seller writes in the dispute's thread" 201 '.side == "seller"'
req "$BASE/v1/disputes/$DISPUTE_ID/actions" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"action":"offer","amount":15000,"text":"We can return 150 roubles for the spilled tea."}'
check "the seller offers a partial refund" 200 '.state == "offered"' '.offer.amount == 15000' \
    '.allowed_actions == []'
req "$BASE/v1/disputes/$DISPUTE_ID/actions" -H "Authorization: Bearer $SELLER_TOKEN" \
  -H 'Content-Type: application/json' -d '{"action":"accept"}'
check "a second move of the seller is refused with what may be done" 409 \
    '.code == "action_not_allowed"' '.allowed_actions == []'

# --- 22. the buyer declines; support decides a partial refund ----------------------------------
req "$BASE/v1/notifications/counters" -H "Authorization: Bearer $BUYER_TOKEN"
check "the buyer has an unread dispute notification and message" 200 \
    '.tabs.disputes >= 1' '.disputes == {"threads":1,"messages":1}'
req "$BASE/v1/disputes/$DISPUTE_ID/actions" -H "Authorization: Bearer $BUYER_TOKEN" \
  -H 'Content-Type: application/json' -d '{"action":"decline","text":"Half of the pack was lost."}'
check "the buyer declines; support takes it" 200 '.state == "awaiting_support"' \
    '.allowed_actions == ["withdraw"]'
req "$BASE/v1/disputes/$DISPUTE_ID/actions" -H "Authorization: Bearer $SUPPORT_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"action":"decide","outcome":"partial","amount":20000,"reason":"The photo shows about 40 % of the tea lost."}'
check "support decides a partial refund" 200 '.state == "decided" and .open == false' \
    '.resolution == {"outcome":"partial_refund","amount":20000,"decision":"partial","reason":"The photo shows about 40 % of the tea lost."}' \
    '[.history[] | [.actor_role, .action, .to_state, .amount]] == [["buyer","open","awaiting_seller",25000],["seller","offer","offered",15000],["buyer","decline","awaiting_support",null],["support","decide","decided",20000]]'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
