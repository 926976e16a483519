#include "moderation_lexicon.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "moderation_text.h"

/* Word lists. "w" is the whole word, "w*" a word starting with w, "~w" a word containing w.
 * Words are written case-folded, with е for ё. */

static const char *const messenger_words[] = {"whatsapp*",
                                              "watsapp*",
                                              "watsap",
                                              "whatsap",
                                              "вотсап*",
                                              "ватсап*",
                                              "вацап*",
                                              "вотцап*",
                                              "вотс",
                                              "ватс",
                                              "telegram*",
                                              "telega",
                                              "телеграм*",
                                              "телега",
                                              "телегу",
                                              "телеге",
                                              "телеги",
                                              "телегой",
                                              "тг",
                                              "tg",
                                              "тлг",
                                              "viber*",
                                              "вайбер*",
                                              "вибер*",
                                              "вайбере",
                                              "instagram*",
                                              "insta",
                                              "инстаграм*",
                                              "инста",
                                              "инсту",
                                              "инсте",
                                              "инстой",
                                              "инсты",
                                              "skype*",
                                              "скайп*",
                                              "vk",
                                              "вк",
                                              "vkontakte",
                                              "вконтакте",
                                              "вконтакт*",
                                              "facebook*",
                                              "фейсбук*",
                                              "wechat",
                                              "discord*",
                                              "дискорд*",
                                              "snapchat",
                                              "icq",
                                              "аська",
                                              "тлгрм",
                                              "тикток*",
                                              "tiktok*",
                                              "одноклассник*",
                                              "однокласник*",
                                              "kakaotalk",
                                              "odnoklassniki",
                                              "threema",
                                              "weixin",
                                              "вичат*",
                                              "тгшк*",
                                              "kakao",
                                              "whatsup",
                                              "вотсапп*",
                                              "ватсапп*",
                                              "тэгэ"};

/* Names distinctive enough to find even when split across words or letters. */
static const char *const messenger_joinable[] = {
    "whatsapp", "watsapp", "вотсап",    "ватсап",    "вацап",     "telegram", "телеграм",
    "viber",    "вайбер",  "instagram", "инстаграм", "вконтакте", "skype",    "скайп"};

static const char *const profanity[] = {
    /* Russian obscene roots */
    "~хуй", "~хуе", "~хуя", "хую*", "нахую", "~пизд", "~пезд", "~бляд", "блят*", "бля", "бладь",
    "блать", "сука", "суки", "суку", "сукой", "суке", "сучка", "сучк*", "сучар*", "сучий", "мудак*",
    "мудил*", "мудач*", "мудозвон*", "пидор*", "пидар*", "пидр*", "педераст*", "залуп*", "гандон*",
    "гондон*", "шлюх*", "говн*", "дерьм*", "жоп*", "дроч*", "ублюд*", "выблядок*", "долбоеб*",
    "долбаеб*", "далбаеб*", "мраз*", "уебан*", "ебан*", "манда", "манды",
    /* shortened and softened forms of the same roots ("пшёл нах", "хули", "херня", "ёпт") */
    "нах", "хули", "хуле", "херн*", "хера", "нахера", "херов*", "пох", "пзд", "пздц*", "пзда", "бл",
    "епт", "епта", "епть", "ептыть", "ебт", "ебтыть", "заеб*", "~хуит", "~хуищ", "~пизж", "сцук*",
    "мандавош*", "шалав*", "мудень", "рукожоп*",
    /* the same roots spelled as they sound ("ипать", "йобаный", "заибали") */
    "ибат*", "ипат*", "ипан*", "йобан*", "йоб", "заиба*", "наиба*", "уиба*", "проиба*",
    /* written out so a star inside matches them too ("е*ать", "ё*аный") */
    "ебать", "ебаный", "ебаная", "ебаное", "ебал", "ебала", "ебали", "ебет", "ебут",
    /* insults */
    "идиот*", "дебил*", "кретин*", "придур*", "скотин*", "тварь", "твари", "гнида", "гниды", "урод",
    "урода", "уроды", "уродов", "уродина", "дура", "дуры", "дурак*", "дурачок", "тупица",
    "тупорыл*", "сволоч*", "падла", "падлы", "козел", "козлина", "чмо", "лох", "лохи", "лошара",
    "быдло", "овца", "даун", "дауны", "дегенерат*", "имбецил*", "ушлеп*", "упырь", "упыри",
    "упырей", "недоумок", "недоумки", "недоумков", "чмошник*", "чмошн*", "конченый", "конченая",
    "конченые", "конченный", "конченная", "конченные", "конченого", "дурень", "засранец",
    "засранцы", "засранка", "говнюк*", "олух", "олухи", "отморозок", "отморозки", "ничтожеств*",
    "безмозгл*", "выродок", "выродки", "шваль",
    /* English */
    "~fuck", "fck", "fcking", "~shit", "bullshit*", "cocksuck*", "biatch", "mofo", "ahole", "phuk*",
    "fxck*", "fuq", "scum", "lowlife", "halfwit*", "dimwit*", "numbskull*", "vermin", "bitch*",
    "asshole*", "ass", "dumbass", "jackass", "cunt*", "dick", "dicks", "dickhead*", "bastard*",
    "idiot*", "moron*", "retard*", "wanker*", "twat*", "slut*", "whore*", "motherf*",
    /* abbreviations of the same words, and their usual misspellings */
    "wtf", "stfu", "gtfo", "ffs", "omfg", "lmfao", "fking", "fkin", "fkn", "fckn", "fuk", "fuking",
    "fukin", "fvck*", "phuck*", "fcuk*", "prick", "pricks", "scumbag*", "tosser*", "imbecil*",
    "arse", "arsehole*", "bollocks", "piss",
    /* Russian written in Latin letters */
    "blyat*", "blyad*", "blya", "suka", "suki", "pizd*", "pizdec", "huy*", "hui", "xuy*", "xyu",
    "nahui", "nahuy", "nahuj", "ebat*", "eban*", "zaeb*", "xuin*", "huin*", "hujn*", "ohue*",
    "ahue*", "pzdc", "pizdets", "pizdez", "pizdos", "yoban*", "ebal*", "huli", "huev*", "~pizd",
    "otyeb*", "otieb*", "proeb*", "zaib*", "mudak*", "pidor*", "pidar*", "debil*", "idiot", "пздц",
    "пиздц*", "хуйн*", "нахер", "похер*", "fuck*", "motherfuck*", "shit*", "bullshit", "asshole*",
    "bitch*", "cunt*", "dickhead*"};

static const char *const profanity_exclusions[] = {
    "~страху",  "~страхов",   "~застрах",  "сукн*",   "сукк*",     "сукуб*",
    "мудр*",    "жопк*ресло", "ассамблея", "говнет*", "дурак*ов",  "овцевод*",
    "лохмат*",  "лохань*",    "лохотрон*", "ебонит*", "сучковат*", "shitake",
    "shiitake", "сучок",      "сучков",    "сучками", "сучкам",    "сучках"};

static const char *const obscene_prefixes[] = {
    "",    "за",   "у",    "вы",   "от",  "отъ", "съ",  "до",    "на", "по", "при", "раз", "разъ",
    "про", "недо", "пере", "подъ", "объ", "въ",  "изъ", "долбо", "ни", "вз", "взъ", "обо"};

static const char *const number_context[] = {
    "заказ*",    "отправлен*", "артикул*", "арт",       "sku",       "штрихкод*",  "штрих*",
    "barcode*",  "ean*",       "order*",   "posting*",  "трек*",     "track*",     "сертификат*",
    "декларац*", "инн",        "огрн*",    "кпп",       "модел*",    "серийн*",    "serial*",
    "imei",      "партия",     "партии",   "накладн*",  "invoice*",  "id",         "ид",
    "код",       "кода",       "коду",     "лот",       "lot",       "upc",        "gtin",
    "isbn",      "ean13",      "чек*",     "receipt*",  "документ*", "ref",        "rma",
    "тн",        "вэд",        "возврат*", "return*",   "посылк*",   "parcel*",    "shipment*",
    "гтд",       "обращени*",  "детал*",   "каталожн*", "заводск*",  "гарантийн*", "запчаст*",
    "талон*",    "sn",         "s/n",      "тикет*",    "ticket*",   "case",       "part",
    "article*",  "item*",      "batch*",   "product"};

/* Not a card number when labelled as one of these. */
static const char *const card_context[] = {
    "штрихкод*", "штрих*",   "barcode*", "ean*",    "артикул*", "арт",        "sku",
    "трек*",     "track*",   "imei",     "serial*", "серийн*",  "gtin",       "upc",
    "isbn",      "накладн*", "гтд",      "заказ*",  "order*",   "отправлен*", "posting*",
    "инн",       "огрн*",    "кпп",      "бик",     "окпо"};

/* A card named before a number of a card's length: its digits are the card's, whether or not
 * they pass Luhn (a made-up or mistyped number is offered all the same). */
static const char *const card_words[] = {
    "карт*",       "card*",      "visa",    "виза",     "визы",       "mastercard",
    "мастеркард*", "мир",        "мира",    "сбер*",    "тинькоф*",   "тинек",
    "альф*",       "втб",        "maestro", "маэстро",  "cardnumber", "кредитк*",
    "дебетов*",    "kart*",      "pay",     "paying",   "оплат*",     "перевод*",
    "переведи*",   "переведите", "закинь*", "закиньте", "скинь*",     "скиньте"};

static const char *const phone_context[] = {
    "телефон*", "тел",       "моб*",   "номер*",   "звон*",    "позвон*", "набер*", "набир*",
    "call*",    "phone*",    "mobile", "cell",     "number",   "ring",    "text",   "смс",
    "sms",      "whatsapp*", "viber*", "контакт*", "contact*", "связ*",   "reach",  "mine"};

/* Money after a group of digits: the group is a price ("2 349 ₽ из 2 899 ₽"), not a piece of
 * a phone dictated in groups. */
static const char *const currency_words[] = {"руб*", "р",       "rub",  "rur", "usd",
                                             "eur",  "тыс*",    "тр",   "k",   "долл*",
                                             "евро", "dollar*", "euro*"};

/* Words of paying beside a card number: the card is given to be paid to. */
static const char *const pay_words[] = {
    "pay",       "paying",     "оплатите",  "оплату",   "оплатить",  "перевод*",
    "переведи*", "переведите", "закинь*",   "закиньте", "скинь*",    "скиньте",
    "кидай*",    "киньте",     "скидывай*", "send",     "transfer*", "refund*",
    "вернит*",   "верните",    "perevod*",  "оплачива*"};

/* A call asked for nearer the number than any label: the number is a phone's. */
static const char *const call_words[] = {"телефон*", "тел",      "моб*",  "звон*",     "позвон*",
                                         "набер*",   "набир*",   "call*", "phone*",    "mobile",
                                         "cell",     "ring",     "text",  "whatsapp*", "viber*",
                                         "контакт*", "contact*", "связ*", "reach"};

static const char *const plus_words[] = {"плюс", "plus"};

/* A request preceded by these is a warning: "никому не сообщайте код", "never share". */
static const char *const negations[] = {"не", "ни", "dont", "don", "not", "no", "avoid"};
/* these negate a request anywhere near it, before or after: "код нельзя называть никому" */
static const char *const negations_wide[] = {"нельзя", "никогда",   "никому",   "never",
                                             "nobody", "запрещено", "forbidden"};
/* between a negation and its verb: "не буду переводить", "won't transfer" (won + t) */
static const char *const auxiliaries[] = {
    "буду", "будем", "будет", "стану", "станем", "могу", "можем", "может", "хочу",   "хотим",
    "t",    "will",  "would", "do",    "does",   "did",  "can",   "could", "should", "to"};
/* more negations before an auxiliary: "won't", "can't", "isn't" */
static const char *const negations_aux[] = {"won",   "wont", "cant",    "cannot", "isn",
                                            "doesn", "didn", "shouldn", "wouldn"};
/* a messenger named as a feature of a product: "часы показывают уведомления WhatsApp" */
static const char *const messenger_features[] = {
    "уведомлен*", "оповещен*",  "notification*", "notify*",      "поддерж*",  "support*",
    "совместим*", "compatible", "синхрониз*",    "sync*",        "звонк*",    "calls",
    "функци*",    "feature*",   "экран*",        "screen*",      "показыва*", "displays",
    "shows",      "часы",       "watch",         "смартфон*",    "телефон*",  "phone",
    "видеозвон*", "videocall*", "zoom",          "works",        "work",      "работа*",
    "install*",   "установ*",   "книг*",         "book",         "издани*",   "edition",
    "style",      "стиль*",     "открытк*",      "cards",        "блогер*",   "blogger*",
    "съемк*",     "садов*",     "колес*",        "грузоподъем*", "тележ*"};
/* ... unless someone is asked to go there */
static const char *const contact_verbs[] = {
    "пиши*",    "напиш*",    "пишите", "добав*", "найд*",    "свяж*",  "связь",   "стучи*",
    "звони*",   "позвон*",   "жду",    "ждем",   "contact*", "write",  "message", "text",
    "add",      "reach",     "dm",     "ping",   "me",       "мне",    "меня",    "нам",
    "переход*", "перейд*",   "move",   "go",     "find",     "us",     "нас",     "наш*",
    "подпиш*",  "subscribe", "follow", "join",   "вступ*",   "групп*", "group",   "канал*",
    "channel",  "личк*",     "лс",     "ник*",   "nick*",    "answer", "отвеч*"};
/* "код" of a thing, not a secret: "код цвета", "code of the colour", "промокод" */
static const char *const code_objects[] = {
    "цвета",        "краски",  "оттенка", "товара",  "ошибки", "модели",    "региона",
    "страны",       "размера", "тнвэд",   "вэд",     "оквэд",  "продукта",  "color",
    "colour",       "product", "error",   "region",  "paint",  "промо*",    "скидк*",
    "купон*",       "акци*",   "товар",   "заказа",  "order",  "трека",     "tracking",
    "отслеживания", "of",      "по",      "default", "для",    "bluetooth", "гарнитур*",
    "устройств*",   "device"};

/* A short question made of a means of paying or a secret ("По СБП можно?", "Реквизиты
 * скинуть?", "Код?", "CVV?"): asking for it is the whole message. */
static const char *const short_ask_payment[] = {
    "сбп",       "sbp",      "реквизит*", "реквізит*", "переводом", "перевод",
    "перевести", "переведу", "переказом", "крипт*",    "крипту",    "usdt",
    "tether",    "btc",      "биткоин*",  "напрямую",  "directly",  "invoice"};
static const char *const short_ask_credentials[] = {"код",  "кода",   "коды",    "code",   "kod",
                                                    "cvv*", "cvc*",   "пин",     "пинкод", "pin",
                                                    "otp",  "пароль", "password"};
/* ...unless it is about paying on the platform or the code of a thing */
static const char *const short_ask_platform[] = {"сайт*",  "site",     "корзин*", "приложени*",
                                                 "app",    "checkout", "озон*",   "ozon",
                                                 "заказ*", "order*",   "промо*"};

/* after a negation, the verb that refuses: "переводы на карты мы не принимаем" */
static const char *const refusal_verbs[] = {
    "принима*", "accept*", "use",      "using", "используем", "пользуемся", "работаем",
    "продаем*", "продаю",  "берем",    "беру",  "have",       "делаем",     "pay",
    "платим",   "общаюсь", "общаемся", "sell",  "ask*",       "просим",     "просит"};
/* a report or a warning about what someone else wrote: "мне кто-то написал с просьбой перейти
 * в WhatsApp", "someone asked me to pay by bank transfer, I reported it" */
static const char *const report_words[] = {"жалоб*",    "пожалова*", "report*",      "осторожн*",
                                           "careful",   "beware",    "предупрежда*", "warn*",
                                           "мошенник*", "scam*",     "fraud*"};
/* "кто-то написал", "you asked", "вы просили": who wrote it, then the verb */
static const char *const report_who[] = {"кто-то", "someone", "somebody", "вы", "you", "мне", "me"};
static const char *const report_did[] = {"написал*", "просил*", "предлага*", "asked",
                                         "wrote",    "offered", "told",      "messaged"};
/* "только здесь", "only through the site": the rule stated */
static const char *const only_words[] = {"только", "only", "всё", "all", "everything"};
static const char *const only_where[] = {"здесь", "тут", "here", "через", "through"};
/* "по-другому не работаем": the negation refuses the alternative, not the phrase */
static const char *const otherwise_words[] = {"по",        "другому", "иначе",
                                              "otherwise", "other",   "way"};

/* "если кто-то просит ..., это мошенники": a warning, not a request */
static const char *const conditionals[] = {"если", "if", "когда", "when"};
static const char *const fraud_words[] = {"мошенник*", "мошеннич*", "fraud*",     "scam*",
                                          "обман*",    "аферист*",  "злоумышлен*"};

static const char *const email_bare_at[] = {"at", "эт"};

static const char *const mail_hosts[] = {
    "gmail",   "googlemail", "yandex",  "ya",       "mail",   "bk",     "list", "inbox",
    "rambler", "yahoo",      "hotmail", "outlook",  "live",   "icloud", "me",   "proton*",
    "aol",     "gmx",        "zoho",    "мейл",     "яндекс", "гмейл",  "майл", "гмейл*",
    "мейл*",   "майл*",      "яндекс*", "рамблер*", "gmail*"};

static const char *const email_at[] = {"собака", "собачка", "собачку", "at", "эт"};
static const char *const email_dot[] = {"точка", "dot", "дот"};
/* "katya.sh на gmail": "on" a mail host after a login */
static const char *const email_on[] = {"на", "в", "on", "@"};

static const char *const tlds[] = {
    "ru",       "com",     "net",   "org",    "рф",    "su",    "io",      "me",     "info",
    "biz",      "shop",    "store", "online", "site",  "pro",   "ly",      "cc",     "to",
    "ua",       "by",      "kz",    "de",     "uk",    "us",    "co",      "app",    "xyz",
    "tv",       "club",    "top",   "link",   "page",  "space", "website", "market", "рус",
    "tk",       "ml",      "ga",    "cf",     "gg",    "eu",    "fm",      "am",     "ws",
    "in",       "cn",      "uz",    "kg",     "ge",    "gl",    "ру",      "ком",    "орг",
    "dev",      "art",     "live",  "life",   "world", "today", "tech",    "blog",   "one",
    "vip",      "best",    "win",   "fun",    "icu",   "buzz",  "click",   "cloud",  "digital",
    "news",     "email",   "ltd",   "sale",   "deals", "promo", "gift",    "money",  "cash",
    "bet",      "cyou",    "sbs",   "bond",   "rest",  "host",  "work",    "zone",   "team",
    "delivery", "express", "pw",    "it",     "gle",   "be",    "fr",      "pl",     "nl",
    "es",       "tr",      "md",    "lt",     "lv",    "ee",    "cz",      "ca",     "au",
    "jp",       "kr",      "asia",  "az",     "tj",    "tm"};

/* ---- number words ------------------------------------------------------------------------ */

struct num_word {
    const char *w;
    int value, kind;
};

static const struct num_word num_words[] = {
    {"ноль", 0, NUM_UNIT},
    {"нуль", 0, NUM_UNIT},
    {"один", 1, NUM_UNIT},
    {"одна", 1, NUM_UNIT},
    {"раз", 1, NUM_UNIT},
    {"два", 2, NUM_UNIT},
    {"две", 2, NUM_UNIT},
    {"три", 3, NUM_UNIT},
    {"четыре", 4, NUM_UNIT},
    {"пять", 5, NUM_UNIT},
    {"шесть", 6, NUM_UNIT},
    {"семь", 7, NUM_UNIT},
    {"восемь", 8, NUM_UNIT},
    {"девять", 9, NUM_UNIT},
    {"десять", 10, NUM_TEEN},
    {"одиннадцать", 11, NUM_TEEN},
    {"двенадцать", 12, NUM_TEEN},
    {"тринадцать", 13, NUM_TEEN},
    {"четырнадцать", 14, NUM_TEEN},
    {"пятнадцать", 15, NUM_TEEN},
    {"шестнадцать", 16, NUM_TEEN},
    {"семнадцать", 17, NUM_TEEN},
    {"восемнадцать", 18, NUM_TEEN},
    {"девятнадцать", 19, NUM_TEEN},
    {"двадцать", 20, NUM_TENS},
    {"тридцать", 30, NUM_TENS},
    {"сорок", 40, NUM_TENS},
    {"пятьдесят", 50, NUM_TENS},
    {"шестьдесят", 60, NUM_TENS},
    {"семьдесят", 70, NUM_TENS},
    {"восемьдесят", 80, NUM_TENS},
    {"девяносто", 90, NUM_TENS},
    {"сто", 100, NUM_HUNDREDS},
    {"двести", 200, NUM_HUNDREDS},
    {"триста", 300, NUM_HUNDREDS},
    {"четыреста", 400, NUM_HUNDREDS},
    {"пятьсот", 500, NUM_HUNDREDS},
    {"шестьсот", 600, NUM_HUNDREDS},
    {"семьсот", 700, NUM_HUNDREDS},
    {"восемьсот", 800, NUM_HUNDREDS},
    {"девятьсот", 900, NUM_HUNDREDS},
    {"zero", 0, NUM_UNIT},
    {"oh", 0, NUM_UNIT},
    {"one", 1, NUM_UNIT},
    {"two", 2, NUM_UNIT},
    {"three", 3, NUM_UNIT},
    {"four", 4, NUM_UNIT},
    {"five", 5, NUM_UNIT},
    {"six", 6, NUM_UNIT},
    {"seven", 7, NUM_UNIT},
    {"eight", 8, NUM_UNIT},
    {"nine", 9, NUM_UNIT},
    {"ten", 10, NUM_TEEN},
    {"eleven", 11, NUM_TEEN},
    {"twelve", 12, NUM_TEEN},
    {"thirteen", 13, NUM_TEEN},
    {"fourteen", 14, NUM_TEEN},
    {"fifteen", 15, NUM_TEEN},
    {"sixteen", 16, NUM_TEEN},
    {"seventeen", 17, NUM_TEEN},
    {"eighteen", 18, NUM_TEEN},
    {"nineteen", 19, NUM_TEEN},
    {"twenty", 20, NUM_TENS},
    {"thirty", 30, NUM_TENS},
    {"forty", 40, NUM_TENS},
    {"fifty", 50, NUM_TENS},
    {"sixty", 60, NUM_TENS},
    {"seventy", 70, NUM_TENS},
    {"eighty", 80, NUM_TENS},
    {"ninety", 90, NUM_TENS},
};

/* ---- compiling --------------------------------------------------------------------------- */

#define LEX_POOL 4096
static struct lex_word pool[LEX_POOL];
static size_t pool_used;
static struct lex_phrase phrases[LEX_MAX_PHRASES];
static struct lexicon lex;
static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

static void compile_word(const char *src, size_t srclen)
{
    char buf[128];
    struct lex_word *w = &pool[pool_used++];
    uint8_t mode = LEX_EXACT;
    if (srclen && src[0] == '~') {
        mode = LEX_CONTAINS;
        src++;
        srclen--;
    } else if (srclen && src[srclen - 1] == '*') {
        mode = LEX_PREFIX;
        srclen--;
    }
    if (srclen >= sizeof buf)
        srclen = sizeof buf - 1;
    memcpy(buf, src, srclen);
    buf[srclen] = '\0';
    w->len = (uint8_t)mt_decode_literal(buf, w->cp, LEX_WORD_MAX);
    w->mode = mode;
}

static int word_order(const void *a, const void *b)
{
    const struct lex_word *x = a, *y = b;
    int xc = x->mode == LEX_CONTAINS, yc = y->mode == LEX_CONTAINS;
    if (xc != yc)
        return yc - xc;
    return x->cp[0] < y->cp[0] ? -1 : x->cp[0] > y->cp[0];
}

static struct lex_set finish_set(struct lex_word *first, size_t n)
{
    struct lex_set s = {first, n, 0, 0, 0, 0, 0};
    qsort(first, n, sizeof *first, word_order);
    while (s.ncontains < n && first[s.ncontains].mode == LEX_CONTAINS)
        s.ncontains++;
    for (size_t i = 0; i < n; i++) {
        s.first_mask |= LEX_MASK_BIT(first[i].cp[0]);
        s.second_mask |= first[i].len >= 2 && first[i].cp[1] != '*' ? LEX_MASK_BIT(first[i].cp[1])
                                                                    : ~UINT64_C(0);
        if (first[i].mode == LEX_CONTAINS)
            s.contains_mask |= LEX_MASK_BIT(first[i].cp[0]);
    }
    return s;
}

static struct lex_set compile_list(const char *const *src, size_t n)
{
    struct lex_word *first = &pool[pool_used];
    for (size_t i = 0; i < n; i++)
        compile_word(src[i], strlen(src[i]));
    return finish_set(first, n);
}

static struct lex_set compile_alternatives(const char *src)
{
    struct lex_word *first = &pool[pool_used];
    size_t n = 0;
    int platform = 0;
    while (*src) {
        size_t len = strcspn(src, "|");
        if (len == 9 && memcmp(src, "@platform", 9) == 0) {
            platform = 1;
        } else {
            compile_word(src, len);
            n++;
        }
        src += len + (src[len] == '|');
    }
    struct lex_set set = finish_set(first, n);
    set.platform = platform;
    return set;
}

#define LIST(a) compile_list(a, sizeof a / sizeof a[0])

static void lex_build(void)
{
    lex.messenger_words = LIST(messenger_words);
    lex.messenger_joinable = LIST(messenger_joinable);
    lex.profanity = LIST(profanity);
    lex.profanity_exclusions = LIST(profanity_exclusions);
    lex.obscene_prefixes = LIST(obscene_prefixes);
    lex.number_context = LIST(number_context);
    lex.email_at = LIST(email_at);
    lex.email_dot = LIST(email_dot);
    lex.email_on = LIST(email_on);
    lex.email_bare_at = LIST(email_bare_at);
    lex.mail_hosts = LIST(mail_hosts);
    lex.phone_context = LIST(phone_context);
    lex.card_context = LIST(card_context);
    lex.card_words = LIST(card_words);
    lex.call_words = LIST(call_words);
    lex.currency_words = LIST(currency_words);
    lex.pay_words = LIST(pay_words);
    lex.plus_words = LIST(plus_words);
    lex.negations = LIST(negations);
    lex.negations_wide = LIST(negations_wide);
    lex.conditionals = LIST(conditionals);
    lex.fraud_words = LIST(fraud_words);
    lex.auxiliaries = LIST(auxiliaries);
    lex.negations_aux = LIST(negations_aux);
    lex.messenger_features = LIST(messenger_features);
    lex.contact_verbs = LIST(contact_verbs);
    lex.code_objects = LIST(code_objects);
    lex.short_ask_payment = LIST(short_ask_payment);
    lex.short_ask_credentials = LIST(short_ask_credentials);
    lex.short_ask_platform = LIST(short_ask_platform);
    lex.refusal_verbs = LIST(refusal_verbs);
    lex.report_words = LIST(report_words);
    lex.report_who = LIST(report_who);
    lex.report_did = LIST(report_did);
    lex.only_words = LIST(only_words);
    lex.only_where = LIST(only_where);
    lex.otherwise_words = LIST(otherwise_words);
    lex.tlds = LIST(tlds);
    lex.number_words.words = &pool[pool_used];
    lex.number_words.n = sizeof num_words / sizeof num_words[0];
    lex.number_words.ncontains = 0; /* unsorted: index i is num_words[i] */
    for (size_t i = 0; i < lex.number_words.n; i++) {
        compile_word(num_words[i].w, strlen(num_words[i].w));
        lex.number_words.first_mask |= LEX_MASK_BIT(lex.number_words.words[i].cp[0]);
        lex.number_words.second_mask = ~UINT64_C(0);
    }
    for (size_t i = 0; i < lex_nphrase_src; i++) {
        phrases[i].rule = lex_phrase_src[i].rule;
        phrases[i].gap = lex_phrase_src[i].gap;
        for (size_t k = 0; k < LEX_MAX_STEPS && lex_phrase_src[i].steps[k]; k++) {
            phrases[i].steps[k] = compile_alternatives(lex_phrase_src[i].steps[k]);
            phrases[i].nsteps = k + 1;
        }
        if (lex_phrase_src[i].context) {
            phrases[i].context = compile_alternatives(lex_phrase_src[i].context);
            phrases[i].context_gap = lex_phrase_src[i].context_gap;
        }
    }
    lex.phrases = phrases;
    lex.nphrases = lex_nphrase_src;
    for (size_t p = 0; p < lex.nphrases; p++) {
        const struct lex_set *first = &phrases[p].steps[0];
        for (unsigned b = 0; b < 64; b++)
            if (first->ncontains || first->platform || (first->first_mask >> b & 1))
                lex.phrase_first[b][p / 64] |= UINT64_C(1) << (p % 64);
    }
}

const struct lexicon *lex_get(void)
{
    pthread_once(&lex_once, lex_build);
    return &lex;
}

int lex_number_word(const uint32_t *w, size_t n, int *kind)
{
    const struct lex_set *set = &lex_get()->number_words;
    if (n == 0 || !(set->first_mask & LEX_MASK_BIT(w[0])))
        return -1;
    for (size_t i = 0; i < set->n; i++) {
        if (set->words[i].len == n && set->words[i].cp[0] == w[0] &&
            memcmp(set->words[i].cp, w, n * sizeof *w) == 0) {
            *kind = num_words[i].kind;
            return num_words[i].value;
        }
    }
    return -1;
}
