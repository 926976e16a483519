// The README's walkthrough (the requests tests/smoke.sh sends with curl), through a client
// typed from the contract: openapi-typescript turns openapi.yaml into schema.d.ts on every run
// (never committed), openapi-fetch sends the requests, and `tsc --strict` compiles this file
// with no casts (tests/client/nocasts.mjs refuses any). A contract change that breaks a
// client's code fails the compile; one that breaks its answers fails a check here.
// Usage: node dist/walkthrough.js http://127.0.0.1:PORT. Prints ok/not ok lines, then
// "N passed, N failed".
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

const baseUrl = (process.argv[2] ?? process.env['SD_BASE_URL'] ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const RUN = `${Math.floor(Math.random() * 32768)}${process.pid}`;

let passed = 0;
let failed = 0;

/** Ends the walkthrough: a later step needs what this one did not give. */
class Stop extends Error {}

function notOk(what: string, detail: string): void {
  failed++;
  console.log(`not ok - ${what}: ${detail}`);
}

/** One check of the walkthrough: ok when every condition holds, else the first that does not. */
function check(what: string, conditions: Record<string, boolean>): void {
  const broken = Object.entries(conditions).find(([, holds]) => !holds);
  if (broken) {
    notOk(what, `expected ${broken[0]}`);
  } else {
    passed++;
    console.log(`ok - ${what}`);
  }
}

/** What openapi-fetch gives back: the typed answer, or the typed refusal. */
interface Answer<T, E> {
  data?: T;
  error?: E;
  response: Response;
}

function shown(a: Answer<unknown, unknown>): string {
  return JSON.stringify(a.data ?? a.error ?? null).slice(0, 400);
}

/** The answer's typed body when the status is the one expected; otherwise a failed check and Stop. */
function answered<T, E>(what: string, a: Answer<T, E>, status: number): T {
  if (a.response.status !== status || a.data === undefined) {
    notOk(what, `HTTP ${a.response.status}, expected ${status}; body: ${shown(a)}`);
    throw new Stop();
  }
  return a.data;
}

/** The refusal's typed problem when the status is the one expected; otherwise a failed check and Stop.
 * (openapi-fetch types it as the union of every refusal the operation declares, whatever the
 * status: members only some of them have, such as violations, are reached through `in`.) */
function refused<T, E>(what: string, a: Answer<T, E>, status: number): E {
  if (a.response.status !== status || a.error === undefined) {
    notOk(what, `HTTP ${a.response.status}, expected ${status}; body: ${shown(a)}`);
    throw new Stop();
  }
  return a.error;
}

/** JSON with its object keys sorted, to compare answers whatever their key order. */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x: unknown) => canon(x)).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canon(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
const same = (a: unknown, b: unknown): boolean => canon(a) === canon(b);

/** A timestamp the API takes: RFC 3339, UTC, whole seconds. */
const stamp = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const anonymous = createClient<paths>({ baseUrl });
function signedIn(token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

async function walkthrough(): Promise<void> {
  // --- 1. register a seller and a buyer ---
  const sellerEmail = `seller-${RUN}@example.com`;
  const buyerEmail = `buyer-${RUN}@example.com`;
  const seller = answered('register a seller', await anonymous.POST('/v1/auth/register', {
    body: { email: sellerEmail, password: 'correct-horse-1', role: 'seller', display_name: 'Tea House' },
  }), 201);
  check('register a seller', {
    'the e-mail': seller.email === sellerEmail, 'role seller': seller.role === 'seller',
    'the display name': seller.display_name === 'Tea House', 'created_at': seller.created_at.length > 0,
    'no password hash': !('password_hash' in seller),
  });
  const buyer = answered('register a buyer', await anonymous.POST('/v1/auth/register', {
    body: { email: buyerEmail, password: 'correct-horse-1', role: 'buyer', display_name: 'Anna' },
  }), 201);
  check('register a buyer', { 'the e-mail': buyer.email === buyerEmail, 'role buyer': buyer.role === 'buyer' });

  // --- 2. log both in ---
  const sellerLogin = answered('log the seller in', await anonymous.POST('/v1/auth/login', {
    body: { email: sellerEmail, password: 'correct-horse-1' },
  }), 200);
  check('log the seller in', {
    'token_type Bearer': sellerLogin.token_type === 'Bearer', 'an access token': sellerLogin.access_token.length > 20,
    'a refresh token': sellerLogin.refresh_token.length > 0, 'expires_in > 0': sellerLogin.expires_in > 0,
  });
  const buyerLogin = answered('log the buyer in', await anonymous.POST('/v1/auth/login', {
    body: { email: buyerEmail, password: 'correct-horse-1' },
  }), 200);
  check('log the buyer in', { 'an access token': buyerLogin.access_token.length > 20 });
  const asSeller = signedIn(sellerLogin.access_token);
  const asBuyer = signedIn(buyerLogin.access_token);

  // --- 3. the seller creates a product ---
  const product = answered('the seller creates a product', await asSeller.POST('/v1/products', {
    params: { header: { 'Idempotency-Key': `product-${RUN}` } },
    body: { offer_id: `TEA-${RUN}`, name: 'Green tea Sencha 100 g', price: 49000, stock: 10 },
  }), 201);
  check('the seller creates a product', {
    'a platform sku': product.sku >= 100000001, 'the offer id': product.offer_id === `TEA-${RUN}`,
    'price 49000': product.price === 49000, 'stock 10': product.stock === 10, 'the seller': product.seller_id === seller.id,
  });

  // --- 4. the buyer places an order ---
  const order = answered('the buyer places an order', await asBuyer.POST('/v1/orders', {
    params: { header: { 'Idempotency-Key': `order-${RUN}` } },
    body: { items: [{ product_id: product.id, quantity: 2 }] },
  }), 201);
  const posting = order.postings[0];
  if (posting === undefined) {
    notOk('the buyer places an order', `no posting: ${canon(order)}`);
    throw new Stop();
  }
  const line = posting.items[0];
  check('the buyer places an order', {
    'one posting': order.postings.length === 1, 'total 98000': order.total === 98000, 'the buyer': order.buyer_id === buyer.id,
    'awaiting_packaging': posting.status === 'awaiting_packaging', 'a posting number': posting.posting_number.length > 0,
    'the seller': posting.seller_id === seller.id,
    'one item: 2 of the tea': posting.items.length === 1 && line !== undefined && line.product_id === product.id && line.quantity === 2,
    'not delivered': posting.delivered_at === null,
  });
  const postingNumber = { params: { path: { posting_number: posting.posting_number } } };

  // --- 5. the seller ships, then delivers ---
  const shipping = answered('the seller moves the posting to delivering', await asSeller.POST(
    '/v1/postings/{posting_number}/status', { ...postingNumber, body: { status: 'delivering' } }), 200);
  check('the seller moves the posting to delivering', {
    'the posting': shipping.posting_number === posting.posting_number, 'delivering': shipping.status === 'delivering',
    'delivering_at set': shipping.delivering_at !== null, 'delivered_at null': shipping.delivered_at === null,
  });
  const delivered = answered('the seller moves the posting to delivered', await asSeller.POST(
    '/v1/postings/{posting_number}/status', { ...postingNumber, body: { status: 'delivered' } }), 200);
  check('the seller moves the posting to delivered', {
    'delivered': delivered.status === 'delivered', 'delivered_at set': delivered.delivered_at !== null,
    'delivering_at set': delivered.delivering_at !== null,
  });

  // --- 6. the buyer looks at the posting ---
  const seen = answered('the buyer gets the delivered posting',
    await asBuyer.GET('/v1/postings/{posting_number}', postingNumber), 200);
  check('the buyer gets the delivered posting', {
    'the posting': seen.posting_number === posting.posting_number, 'delivered': seen.status === 'delivered',
    'delivered_at set': seen.delivered_at !== null, 'the buyer': seen.buyer_id === buyer.id, 'not cancelled': seen.cancelled_at === null,
  });

  // --- 7. the buyer writes to the seller about the posting ---
  const chat = answered('the buyer starts a chat about the posting', await asBuyer.POST('/v1/chats', {
    body: { kind: 'buyer_seller', posting_number: posting.posting_number },
  }), 201);
  check('the buyer starts a chat about the posting', {
    'buyer_seller': chat.kind === 'buyer_seller', 'open': chat.status === 'open',
    'with the seller': chat.counterpart.id === seller.id && chat.counterpart.role === 'seller',
    'about the posting': chat.context?.posting_number === posting.posting_number,
    'no e-mail anywhere': !JSON.stringify(chat).includes('"email"'),
  });
  const chatPath = { params: { path: { id: chat.id } } };
  const question1 = 'Thank you, the tea arrived! Will you have the 250 g pack again?';
  const first = answered('the buyer sends a message', await asBuyer.POST('/v1/chats/{id}/messages', {
    ...chatPath, body: { text: question1 },
  }), 201);
  check('the buyer sends a message', {
    'in the chat': first.chat_id === chat.id, 'by the buyer': first.author.role === 'buyer',
    'unread': first.read_by_counterpart === false, 'the text': first.text === question1,
  });

  // --- 8. the seller finds the unread chat, reads it and answers ---
  const unread = answered('the seller sees the unread chat',
    await asSeller.GET('/v1/chats', { params: { query: { unread_only: true } } }), 200);
  const unreadChat = unread.items[0];
  check('the seller sees the unread chat', {
    'one unread': unread.total_unread === 1, 'the chat alone': unread.items.length === 1 && unreadChat?.id === chat.id,
    'one unread message': unreadChat?.unread_count === 1,
    'awaiting a reply': unreadChat !== undefined && unreadChat.awaiting_reply_since !== null,
  });
  const last = answered('the seller gets the last message', await asSeller.GET('/v1/chats/{id}/messages', {
    params: { path: { id: chat.id }, query: { limit: 1 } },
  }), 200);
  const lastMessage = last.items[0];
  check('the seller gets the last message', { 'one message': last.items.length === 1 && lastMessage !== undefined });
  if (lastMessage === undefined) throw new Stop();
  const read = answered('the seller marks the chat read', await asSeller.POST('/v1/chats/{id}/read', {
    ...chatPath, body: { up_to_message_id: lastMessage.id },
  }), 200);
  check('the seller marks the chat read', { 'nothing unread': read.unread_count === 0 });
  const contacts = refused('contacts in a message are refused', await asSeller.POST('/v1/chats/{id}/messages', {
    ...chatPath, body: { text: 'Write me on WhatsApp: +7 916 123-45-67' },
  }), 422);
  check('contacts in a message are refused', {
    'content_violation': contacts.code === 'content_violation', 'a phone violation': 'violations' in contacts && contacts.violations.some((v) => v.rule === 'phone'),
  });
  const reply = answered('the seller answers', await asSeller.POST('/v1/chats/{id}/messages', {
    ...chatPath, body: { text: 'Yes, the 250 g pack is back next week.' },
  }), 201);
  check('the seller answers', { 'by the seller': reply.author.role === 'seller' });

  // --- 9. the buyer reads the conversation ---
  const conversation = answered('the buyer reads the conversation',
    await asBuyer.GET('/v1/chats/{id}/messages', chatPath), 200);
  const [newest, oldest] = conversation.items;
  check('the buyer reads the conversation', {
    'two messages': conversation.items.length === 2,
    "the seller's answer first": newest?.author.role === 'seller' && newest.text === 'Yes, the 250 g pack is back next week.',
    "the buyer's message read": oldest?.read_by_counterpart === true,
    "the seller's answer unread": newest?.read_by_counterpart === false,
  });

  // --- 10. the buyer asks about the product ---
  const productPath = { params: { path: { id: product.id } } };
  const question = answered('the buyer asks a question', await asBuyer.POST('/v1/products/{id}/questions', {
    ...productPath, body: { text: 'Is this tea from the spring harvest?' },
  }), 201);
  check('the buyer asks a question', {
    'about the product': question.product.id === product.id, 'new': question.status === 'new',
    'approved': question.moderation?.status === 'approved', 'due_at set': question.moderation?.due_at != null,
    'by Anna': question.author.display_name === 'Anna',
  });

  // --- 11. the seller finds the new question and answers it ---
  const counts = answered('the seller counts one new question', await asSeller.GET('/v1/questions/counts'), 200);
  check('the seller counts one new question', { 'all 1, new 1': same(counts, { all: 1, new: 1, viewed: 0, processed: 0 }) });
  const found = answered('the seller finds it by a word', await asSeller.GET('/v1/questions', {
    params: { query: { status: 'new', q: 'harvest' } },
  }), 200);
  check('the seller finds it by a word', {
    'the question alone': found.items.length === 1 && found.items[0]?.id === question.id,
    'new': found.items[0]?.status === 'new',
  });
  const questionPath = { params: { path: { id: question.id } } };
  const link = refused('an answer with a link is refused', await asSeller.POST('/v1/questions/{id}/answers', {
    ...questionPath, body: { text: 'It is cheaper at www.teashop-example.ru' },
  }), 422);
  check('an answer with a link is refused', {
    'content_violation': link.code === 'content_violation', 'a url violation': 'violations' in link && link.violations.some((v) => v.rule === 'url'),
  });
  const answer = answered('the seller answers; the answer waits for moderation', await asSeller.POST(
    '/v1/questions/{id}/answers', { ...questionPath, body: { text: 'Yes, it is the first flush, picked in April and May.' } }), 201);
  check('the seller answers; the answer waits for moderation', {
    'to the question': answer.question_id === question.id, 'pending': answer.moderation_status === 'pending',
    'due_at set': answer.moderation_due_at !== null, 'not published': answer.published === false,
  });

  // --- 12. support approves the answer ---
  const supportLogin = answered('support logs in', await anonymous.POST('/v1/auth/login', {
    body: { email: 'support@demo.sellerdesk.dev', password: 'demo-password-1' },
  }), 200);
  check('support logs in', { 'an access token': supportLogin.access_token.length > 0 });
  const asSupport = signedIn(supportLogin.access_token);
  // The queue is oldest due first, and other tests may have filled it: its pages are followed
  // until the item is found (the README's "follow next_cursor").
  const queuePage = async (what: string, kind: 'answer' | 'review_comment', cursor: string | null) =>
    answered(what, await asSupport.GET('/v1/moderation/queue', {
      params: { query: { kind, limit: 100, ...(cursor === null ? {} : { cursor }) } },
    }), 200);
  const queued = async (what: string, kind: 'answer' | 'review_comment', id: number) => {
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const queue = await queuePage(what, kind, cursor);
      const hits = queue.items.filter((i) => i.id === id);
      if (hits.length > 0 || queue.next_cursor === null) return hits;
      cursor = queue.next_cursor;
    }
    return [];
  };
  const queuedAnswer = await queued('the answer is in the moderation queue', 'answer', answer.id);
  const queuedAnswerItem = queuedAnswer[0];
  check('the answer is in the moderation queue', {
    'once': queuedAnswer.length === 1,
    'with its question': queuedAnswerItem !== undefined && queuedAnswerItem.kind === 'answer' &&
      queuedAnswerItem.question?.id === question.id,
  });
  const approved = answered('support approves it', await asSupport.POST('/v1/moderation/decisions', {
    body: { kind: 'answer', id: answer.id, decision: 'approve' },
  }), 200);
  // one decision's answer, or a batch's (the body's shape says which)
  check('support approves it', {
    'one decision': 'moderation_status' in approved,
    'approved': 'moderation_status' in approved && approved.moderation_status === 'approved',
    'decided_by set': 'decided_by' in approved && approved.decided_by !== null,
  });

  // --- 13. the buyer sees the answer ---
  const page = answered('the product page shows the published answer',
    await asBuyer.GET('/v1/products/{id}/questions', productPath), 200);
  const shownQuestion = page.items[0];
  check('the product page shows the published answer', {
    'one question': page.items.length === 1, 'processed': shownQuestion?.status === 'processed',
    'the answer': shownQuestion !== undefined &&
      same(shownQuestion.answers.map((a) => a.text), ['Yes, it is the first flush, picked in April and May.']),
  });
  const told = answered('the buyer is notified', await asBuyer.GET('/v1/notifications', { params: { query: { limit: 1 } } }), 200);
  check('the buyer is notified', { 'question.answer_published': told.items[0]?.event === 'question.answer_published' });
  const after = answered('the question is processed for the seller', await asSeller.GET('/v1/questions/counts'), 200);
  check('the question is processed for the seller', { 'processed 1': same(after, { all: 1, new: 0, viewed: 0, processed: 1 }) });

  // --- 14. the buyer reviews the tea with a photo ---
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  // The upload's body is bytes (FileBytes, format: binary, a Blob here); openapi-fetch would
  // serialize a body as JSON, so the Blob is passed on as it is.
  const photo = answered('the buyer uploads a photo', await asBuyer.POST('/v1/files', {
    body: new Blob([png]),
    bodySerializer: (bytes) => bytes,
    headers: { 'Content-Type': 'image/png' },
  }), 201);
  check('the buyer uploads a photo', { 'image/png': photo.content_type === 'image/png', '70 bytes': photo.size === 70 });
  const review = answered('the buyer reviews the delivered tea with the photo', await asBuyer.POST('/v1/reviews', {
    body: {
      posting_number: posting.posting_number, product_id: product.id, rating: 5,
      text: 'Fresh spring tea, a sweet aftertaste.', pros: 'Aroma', media: [photo.id],
    },
  }), 201);
  check('the buyer reviews the delivered tea with the photo', {
    'the product': review.product.id === product.id, 'rating 5': review.rating === 5, 'published': review.published === true,
    'new': review.status === 'new', 'the photo': same(review.media.map((m) => m.id), [photo.id]),
    'approved': review.moderation?.status === 'approved',
  });
  const again = refused('a second review of the same purchase is refused', await asBuyer.POST('/v1/reviews', {
    body: { posting_number: posting.posting_number, product_id: product.id, rating: 1 },
  }), 409);
  check('a second review of the same purchase is refused', {
    'review_exists': again.code === 'review_exists',
    'names the review': 'review_id' in again && again.review_id === review.id,
  });

  // --- 15. the seller finds the review and answers it ---
  const reviewCounts = answered('the seller counts one new review', await asSeller.GET('/v1/reviews/counts'), 200);
  check('the seller counts one new review', {
    'all 1, new 1, unanswered 1': reviewCounts.all === 1 && reviewCounts.new === 1 && reviewCounts.unanswered === 1,
    'one of 5 stars': reviewCounts.by_rating['5'] === 1,
  });
  const filtered = answered('the seller finds it with filters and a word', await asSeller.GET('/v1/reviews', {
    params: { query: { status: 'new', rating: '4,5', has_media: true, q: 'aftertaste' } },
  }), 200);
  check('the seller finds it with filters and a word', {
    'the review alone': filtered.items.length === 1 && filtered.items[0]?.id === review.id,
  });
  const bytes = answered('the seller sees the same photo', await asSeller.GET('/v1/files/{id}', {
    params: { path: { id: photo.id } }, parseAs: 'arrayBuffer',
  }), 200);
  check('the seller sees the same photo', { 'the same bytes': Buffer.from(bytes).equals(png) });
  const reviewPath = { params: { path: { id: review.id } } };
  const comment = answered('the seller answers; the official answer waits for moderation', await asSeller.POST(
    '/v1/reviews/{id}/comments', { ...reviewPath, body: { text: 'Thank you! The next harvest arrives in May.' } }), 201);
  check('the seller answers; the official answer waits for moderation', {
    'official': comment.is_official === true, 'pending': comment.moderation?.status === 'pending',
  });

  // --- 16. support approves the answer ---
  const queuedComment = await queued('the comment is in the moderation queue', 'review_comment', comment.id);
  const queuedCommentItem = queuedComment[0];
  check('the comment is in the moderation queue', {
    'once': queuedComment.length === 1,
    'with its review': queuedCommentItem !== undefined && queuedCommentItem.kind === 'review_comment' &&
      queuedCommentItem.review?.id === review.id,
  });
  const commentApproved = answered('support approves the comment', await asSupport.POST('/v1/moderation/decisions', {
    body: { kind: 'review_comment', id: comment.id, decision: 'approve' },
  }), 200);
  check('support approves the comment', {
    'approved': 'moderation_status' in commentApproved && commentApproved.moderation_status === 'approved',
  });

  // --- 17. the product page and its rating ---
  const reviews = answered('the product page shows the review with the seller\'s answer',
    await asBuyer.GET('/v1/products/{id}/reviews', productPath), 200);
  const shownReview = reviews.items[0];
  check('the product page shows the review with the seller\'s answer', {
    'one review': reviews.items.length === 1, 'processed': shownReview?.status === 'processed',
    'answered': shownReview?.answered === true,
    'the answer': shownReview !== undefined &&
      same(shownReview.comments.map((c) => c.text), ['Thank you! The next harvest arrives in May.']),
  });
  const rating = answered('the product\'s rating', await asBuyer.GET('/v1/products/{id}/rating', productPath), 200);
  check('the product\'s rating', {
    'one review of 5': rating.count === 1 && rating.average === 5 && rating.histogram['5'] === 1,
  });
  const told2 = answered('the buyer is told of the answer', await asBuyer.GET('/v1/notifications', { params: { query: { limit: 1 } } }), 200);
  check('the buyer is told of the answer', { 'review.comment_published': told2.items[0]?.event === 'review.comment_published' });

  // --- 18. support starts a promotion; the seller adds the tea at a discount ---
  const now = new Date();
  const promo = answered('support creates a promotion for the seller', await asSupport.POST('/v1/promotions', {
    body: {
      title: 'Spring tea week', type: 'discount', date_start: stamp(now),
      date_end: stamp(new Date(now.getTime() + 7 * 86400 * 1000)), min_discount_percent: 5, max_discount_percent: 50,
      audience: 'sellers', seller_ids: [seller.id],
    },
  }), 201);
  check('support creates a promotion for the seller', {
    'running': promo.phase === 'running', 'for the seller': same(promo.seller_ids, [seller.id]),
    'from 5 %': promo.min_discount_percent === 5,
  });
  const available = answered('the seller sees it available', await asSeller.GET('/v1/promotions', {
    params: { query: { state: 'available' } },
  }), 200);
  const mine = available.items.filter((p) => p.id === promo.id);
  check('the seller sees it available', { 'once, with one candidate': mine.length === 1 && mine[0]?.candidate_products_count === 1 });
  const promoPath = { params: { path: { id: promo.id } } };
  const candidates = answered('the tea is a candidate with its price bounds',
    await asSeller.GET('/v1/promotions/{id}/candidates', promoPath), 200);
  const candidate = candidates.items[0];
  check('the tea is a candidate with its price bounds', {
    'the tea alone': candidates.items.length === 1 && candidate?.product_id === product.id,
    'from 24500 to 46550': candidate?.max_action_price === 46550 && candidate.min_action_price === 24500,
  });
  const added = answered('the seller adds the tea at 20 % off; another seller\'s product is rejected', await asSeller.POST(
    '/v1/promotions/{id}/products', {
      ...promoPath,
      body: { products: [{ product_id: product.id, discount_percent: 20, quantity: 3 }, { product_id: 1, action_price: 100, quantity: 1 }] },
    }), 200);
  check('the seller adds the tea at 20 % off; another seller\'s product is rejected', {
    'the tea accepted': same(added.accepted, [{ product_id: product.id, action_price: 39200, discount_percent: 20, quantity: 3, sold: 0, remaining: 3 }]),
    'product 1 rejected': same(added.rejected, [{ product_id: 1, reason: 'not_yours', limit: null }]),
  });

  // --- 19. the buyer's order is charged the action price ---
  const second = answered('the buyer pays the action price', await asBuyer.POST('/v1/orders', {
    body: { items: [{ product_id: product.id, quantity: 1 }] },
  }), 201);
  const paidItem = second.postings[0]?.items[0];
  check('the buyer pays the action price', {
    'total 39200': second.total === 39200,
    'price 49000, paid 39200': paidItem?.price === 49000 && paidItem.paid === 39200,
    'by the promotion': paidItem !== undefined && same(paidItem.promotion, { id: promo.id, action_price: 39200, quantity: 1 }),
  });
  const inPromo = answered('the promotion counts the unit sold', await asSeller.GET('/v1/promotions/{id}/products', promoPath), 200);
  check('the promotion counts the unit sold', {
    'one sold, two left': inPromo.items.length === 1 && inPromo.items[0]?.sold === 1 && inPromo.items[0].remaining === 2,
  });

  // --- 20. one pack arrived torn: the buyer opens a dispute ---
  const dispute = answered('the buyer opens a dispute on one pack', await asBuyer.POST('/v1/disputes', {
    body: {
      posting_number: posting.posting_number, items: [{ product_id: product.id, quantity: 1 }], reason: 'damaged',
      text: 'One of the two packs arrived with a torn bag; half of the tea spilled.', requested: 'partial_refund', amount: 25000,
    },
  }), 201);
  check('the buyer opens a dispute on one pack', {
    'awaiting_seller': dispute.state === 'awaiting_seller', 'paid 49000, asks 25000': dispute.paid === 49000 && dispute.amount === 25000,
    'may withdraw': same(dispute.allowed_actions, ['withdraw']), 'opened': same(dispute.history.map((h) => h.action), ['open']),
  });
  const waiting = answered('the seller sees it with what they may do', await asSeller.GET('/v1/disputes', {
    params: { query: { state: 'awaiting_seller' } },
  }), 200);
  const theirs = waiting.items.filter((d) => d.id === dispute.id);
  check('the seller sees it with what they may do', {
    'accept, offer or reject': theirs.length === 1 && same(theirs[0]?.allowed_actions, ['accept', 'offer', 'reject']),
  });

  // --- 21. the seller writes in the thread and offers less ---
  const disputePath = { params: { path: { id: dispute.id } } };
  const said = answered('the seller writes in the dispute\'s thread', await asSeller.POST('/v1/disputes/{id}/messages', {
    ...disputePath, body: { text: 'We are sorry about the bag. The tea that stayed in it is still good to drink.' },
  }), 201);
  check('the seller writes in the dispute\'s thread', { 'the seller\'s side': said.side === 'seller' });
  const offered = answered('the seller offers a partial refund', await asSeller.POST('/v1/disputes/{id}/actions', {
    ...disputePath, body: { action: 'offer', amount: 15000, text: 'We can return 150 roubles for the spilled tea.' },
  }), 200);
  check('the seller offers a partial refund', {
    'offered': offered.state === 'offered', '15000': offered.offer?.amount === 15000, 'nothing more to do': same(offered.allowed_actions, []),
  });
  const twice = refused('a second move of the seller is refused with what may be done', await asSeller.POST(
    '/v1/disputes/{id}/actions', { ...disputePath, body: { action: 'accept' } }), 409);
  check('a second move of the seller is refused with what may be done', {
    'action_not_allowed': twice.code === 'action_not_allowed',
    'nothing allowed': 'allowed_actions' in twice && same(twice.allowed_actions, []),
  });

  // --- 22. the buyer declines; support decides a partial refund ---
  const counters = answered('the buyer has an unread dispute notification and message', await asBuyer.GET('/v1/notifications/counters'), 200);
  check('the buyer has an unread dispute notification and message', {
    'the disputes tab': counters.tabs.disputes >= 1, 'one thread, one message': same(counters.disputes, { threads: 1, messages: 1 }),
  });
  const declined = answered('the buyer declines; support takes it', await asBuyer.POST('/v1/disputes/{id}/actions', {
    ...disputePath, body: { action: 'decline', text: 'Half of the pack was lost.' },
  }), 200);
  check('the buyer declines; support takes it', {
    'awaiting_support': declined.state === 'awaiting_support', 'may withdraw': same(declined.allowed_actions, ['withdraw']),
  });
  const decided = answered('support decides a partial refund', await asSupport.POST('/v1/disputes/{id}/actions', {
    ...disputePath, body: { action: 'decide', outcome: 'partial', amount: 20000, reason: 'The photo shows about 40 % of the tea lost.' },
  }), 200);
  check('support decides a partial refund', {
    'decided, closed': decided.state === 'decided' && decided.open === false,
    'the resolution': same(decided.resolution, {
      outcome: 'partial_refund', amount: 20000, decision: 'partial', reason: 'The photo shows about 40 % of the tea lost.',
    }),
    'the history': same(decided.history.map((h) => [h.actor_role, h.action, h.to_state, h.amount]), [
      ['buyer', 'open', 'awaiting_seller', 25000], ['seller', 'offer', 'offered', 15000],
      ['buyer', 'decline', 'awaiting_support', null], ['support', 'decide', 'decided', 20000]]),
  });
}

const started = Date.now();
walkthrough()
  .catch((e: unknown) => {
    // Stop: a step's failure is already counted; anything else is a failure of its own
    if (!(e instanceof Stop)) notOk('the walkthrough ran', e instanceof Error ? e.stack ?? e.message : String(e));
  })
  .finally(() => {
    console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  });
