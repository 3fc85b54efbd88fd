/* notify_templates — see notify_templates.h. Tables first: changing what residents and
 * caseworkers read should never need a change in code. */
#include "notify_templates.h"
#include "sais_money.h"

#include <stdlib.h>
#include <string.h>

#define ASK "如有疑问请咨询当地民政窗口。"

const notify_template_t notify_templates[] = {
    /* residents: an SMS to the head of household */
    {"entitlement.granted", NOTIFY_SMS, "sms.entitlement.granted",
     "【{sig}】您家庭的{policy}已批准{amount_clause}。" ASK},
    {"entitlement.changed", NOTIFY_SMS, "sms.entitlement.changed",
     "【{sig}】您家庭的{policy}{per}金额已由{previous}元调整为{amount}元。" ASK},
    {"entitlement.suspended", NOTIFY_SMS, "sms.entitlement.suspended",
     "【{sig}】您家庭的{policy}已暂停发放。" ASK},
    {"entitlement.resumed", NOTIFY_SMS, "sms.entitlement.resumed",
     "【{sig}】您家庭的{policy}已恢复发放{amount_clause}。" ASK},
    {"entitlement.stopped", NOTIFY_SMS, "sms.entitlement.stopped",
     "【{sig}】您家庭的{policy}已停止发放。" ASK},

    /* caseworkers: an inbox item for the household's county */
    {"entitlement.granted", NOTIFY_INBOX, "inbox.entitlement.granted",
     "{policy}已批准：家庭{household}{amount_clause}{origin_clause}。"},
    {"entitlement.changed", NOTIFY_INBOX, "inbox.entitlement.changed",
     "{policy}{per}金额调整：家庭{household}，由{previous}元调整为{amount}元。"},
    {"entitlement.suspended", NOTIFY_INBOX, "inbox.entitlement.suspended",
     "{policy}已暂停发放：家庭{household}。"},
    {"entitlement.resumed", NOTIFY_INBOX, "inbox.entitlement.resumed",
     "{policy}已恢复发放：家庭{household}{amount_clause}。"},
    {"entitlement.stopped", NOTIFY_INBOX, "inbox.entitlement.stopped",
     "{policy}已停止发放：家庭{household}。"},
    {"alert.raised", NOTIFY_INBOX, "inbox.alert.raised",
     "【{severity}风险预警】{kind}：家庭{household}，请及时核实跟进。{detail}"},

    /* applications (intake): the applicant hears of each decision; the handling county's
     * caseworkers of what waits for their review */
    {"application.pending_review", NOTIFY_SMS, "sms.application.pending_review",
     "【{sig}】您家庭的{policy}申请已通过核对，正在等待审核。" ASK},
    {"application.approved", NOTIFY_SMS, "sms.application.approved",
     "【{sig}】您家庭的{policy}申请已批准。" ASK},
    {"application.rejected", NOTIFY_SMS, "sms.application.rejected",
     "【{sig}】您家庭的{policy}申请未获批准。" ASK},
    {"application.pending_review", NOTIFY_INBOX, "inbox.application.pending_review",
     "{policy}申请待审核：家庭{household}{origin_clause}。"},
};
const size_t notify_ntemplates = sizeof notify_templates / sizeof notify_templates[0];

/* The assistance alliance's small wishes (match's wish.* events). A table of their own: the
 * {names} in them are a wish's fields, not an entitlement's, and notify_templates[] is
 * rendered row by row as entitlements and alerts. notify_template_find searches both. */
static const notify_template_t wish_templates[] = {
    {"wish.fulfilled", NOTIFY_SMS, "sms.wish.fulfilled",
     "【{sig}】您家的微心愿“{title}”已由{donor}帮助实现。" ASK},
    {"wish.matched", NOTIFY_INBOX, "inbox.wish.matched",
     "微心愿已认领：家庭{household}的“{title}”（{category}）由{donor}认领，请联系落实。"},
    {"wish.fulfilled", NOTIFY_INBOX, "inbox.wish.fulfilled",
     "微心愿已实现：家庭{household}的“{title}”（{category}）由{donor}帮助实现，价值{value}元。"},
};
#define NWISH_TEMPLATES (sizeof wish_templates / sizeof wish_templates[0])

static const char *const wish_category_names[][2] = {
    {"clothing", "衣物"}, {"bedding", "床上用品"}, {"food", "食品"}, {"education", "学习用品"},
    {"medical", "医疗"}, {"appliance", "家电"}, {"service", "服务"}, {"other", "其他"},
};

static const char *const policy_names[][2] = {
    {"dibao", "最低生活保障"},
    {"tekun", "特困供养"},
    {"marginal", "低保边缘"},
    {"temp_medical", "临时救助(支出型)"},
    {"disability_care", "重度残疾人护理补贴"},
    {"disability_living", "困难残疾人生活补贴"},
};

static const char *const kind_names[][2] = {
    {"catastrophic_medical", "因病支出型困难"},
    {"income_drop", "收入骤降"},
    {"breadwinner_death", "主要劳动力死亡"},
    {"severe_disability", "新增重度残疾"},
    {"beneficiary_deceased", "保障对象死亡"},
    {"beneficiary_incarcerated", "保障对象服刑"},
    {"assets_over_limit", "资产超标"},
    {"visit_risk", "走访发现风险"},
    {"follow_up_overdue", "回访逾期"},
    {"recheck_due", "到期复核"},
};

static const char *const severity_names[][2] = {
    {"high", "高"}, {"medium", "中"}, {"low", "低"},
};

static const char *lookup(const char *const (*table)[2], size_t n, const char *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i][0], key) == 0)
            return table[i][1];
    return NULL;
}

const char *notify_policy_name(const char *policy)
{
    return lookup(policy_names, sizeof policy_names / sizeof policy_names[0], policy);
}

const char *notify_alert_kind_name(const char *kind)
{
    return lookup(kind_names, sizeof kind_names / sizeof kind_names[0], kind);
}

const char *notify_severity_name(const char *severity)
{
    return lookup(severity_names, sizeof severity_names / sizeof severity_names[0], severity);
}

static const char *const channel_names[] = {"sms", "inbox", "webhook"};

const char *notify_channel_name(notify_channel_t ch)
{
    return (unsigned)ch < 3 ? channel_names[ch] : "";
}

int notify_channel_parse(const char *s)
{
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, channel_names[i]) == 0)
            return i;
    return -1;
}

const notify_template_t *notify_template_find(const char *event_type, notify_channel_t ch)
{
    if (!event_type)
        return NULL;
    for (size_t i = 0; i < notify_ntemplates; i++)
        if (notify_templates[i].channel == ch && strcmp(notify_templates[i].event_type, event_type) == 0)
            return &notify_templates[i];
    for (size_t i = 0; i < NWISH_TEMPLATES; i++)
        if (wish_templates[i].channel == ch && strcmp(wish_templates[i].event_type, event_type) == 0)
            return &wish_templates[i];
    return NULL;
}

bool notify_phone_ok(const char *phone)
{
    if (!phone)
        return false;
    const char *p = phone[0] == '+' ? phone + 1 : phone;
    size_t n = 0;
    for (; *p; p++, n++)
        if (*p < '0' || *p > '9')
            return false;
    return n >= 6 && n <= 20;
}

/* ---------------------------------------------------------------- expansion */

typedef struct {
    char  *buf;
    size_t len, cap;
    bool   failed;
} sb_t;

static void sb_put(sb_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->failed = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static const char *var_get(const char *const *vars, const char *name, size_t n)
{
    for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
        if (strlen(vars[i]) == n && memcmp(vars[i], name, n) == 0)
            return vars[i + 1];
    return NULL;
}

char *notify_template_expand(const char *text, const char *const *vars)
{
    sb_t b = {0};
    sb_put(&b, "", 0);
    const char *p = text;
    while (p && *p) {
        const char *open = strchr(p, '{');
        if (!open) {
            sb_put(&b, p, strlen(p));
            break;
        }
        sb_put(&b, p, (size_t)(open - p));
        const char *close = strchr(open, '}');
        const char *v = close ? var_get(vars, open + 1, (size_t)(close - open - 1)) : NULL;
        if (!v) {
            b.failed = true;
            break;
        }
        sb_put(&b, v, strlen(v));
        p = close + 1;
    }
    if (b.failed) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

/* ---------------------------------------------------------------- rendering */

static int render(const notify_template_t *t, const char *const *vars, notify_msg_t *out)
{
    out->template_name = t->name;
    out->body = notify_template_expand(t->text, vars);
    return out->body ? 1 : -1;
}

int notify_render_entitlement(const char *event_type, notify_channel_t ch,
                              const Rul__Entitlement *e, const char *signature,
                              notify_msg_t *out)
{
    out->template_name = NULL;
    out->body = NULL;
    const notify_template_t *t = notify_template_find(event_type, ch);
    if (!t)
        return 0;
    char amount[SAIS_MONEY_BUF], previous[SAIS_MONEY_BUF], clause[96];
    sais_money_format(e->amount, amount);
    sais_money_format(e->previous_amount, previous);
    bool monthly = e->period && strcmp(e->period, "monthly") == 0;
    bool status_only = (e->period && strcmp(e->period, "status") == 0) || e->amount <= 0;
    /* a status (marginal) carries no money: the sentence just ends */
    clause[0] = '\0';
    if (!status_only) {
        strcpy(clause, monthly ? "，每月金额" : "，金额");
        strcat(clause, amount);
        strcat(clause, "元");
    }
    const char *origin = "";
    if (e->origin && strcmp(e->origin, "proactive") == 0)
        origin = "（主动发现）";
    else if (e->origin && strcmp(e->origin, "application") == 0)
        origin = "（依申请）";
    const char *policy = notify_policy_name(e->policy);
    const char *vars[] = {
        "sig", signature && *signature ? signature : NOTIFY_SMS_SIGNATURE,
        "policy", policy ? policy : (e->policy ? e->policy : ""),
        "amount", amount,
        "previous", previous,
        "per", monthly ? "每月" : "",
        "amount_clause", clause,
        "origin_clause", origin,
        "household", e->household_id ? e->household_id : "",
        NULL, NULL,
    };
    return render(t, vars, out);
}

int notify_render_alert(const char *event_type, notify_channel_t ch, const Wrn__Alert *a,
                        notify_msg_t *out)
{
    out->template_name = NULL;
    out->body = NULL;
    const notify_template_t *t = notify_template_find(event_type, ch);
    if (!t)
        return 0;
    const char *kind = notify_alert_kind_name(a->kind);
    const char *sev = notify_severity_name(a->severity);
    const char *vars[] = {
        "severity", sev ? sev : (a->severity ? a->severity : ""),
        "kind", kind ? kind : (a->kind ? a->kind : ""),
        "household", a->household_id ? a->household_id : "",
        "detail", a->detail ? a->detail : "",
        NULL, NULL,
    };
    return render(t, vars, out);
}

/* Renders an application event of intake for `ch`. `policies` are the ids the message is
 * about, shown by their Chinese names joined with "、" (none: "社会救助", assistance in
 * general). Returns 1 and fills *out, 0 if that event has no template on that channel, -1 on
 * allocation failure. Its prototype belongs in notify_templates.h; until that header carries
 * it, notify_server.c declares it. */
int notify_render_application(const char *event_type, notify_channel_t ch,
                              const char *const *policies, size_t npolicies,
                              const char *household_id, const char *origin,
                              const char *signature, notify_msg_t *out)
{
    out->template_name = NULL;
    out->body = NULL;
    const notify_template_t *t = notify_template_find(event_type, ch);
    if (!t)
        return 0;
    sb_t names = {0};
    sb_put(&names, "", 0);
    for (size_t i = 0; i < npolicies; i++) {
        const char *zh = notify_policy_name(policies[i]);
        const char *shown = zh ? zh : (policies[i] ? policies[i] : "");
        if (i)
            sb_put(&names, "、", strlen("、"));
        sb_put(&names, shown, strlen(shown));
    }
    if (names.failed) {
        free(names.buf);
        return -1;
    }
    const char *vars[] = {
        "sig", signature && *signature ? signature : NOTIFY_SMS_SIGNATURE,
        "policy", npolicies ? names.buf : "社会救助",
        "household", household_id ? household_id : "",
        "origin_clause", origin && strcmp(origin, "proactive") == 0 ? "（主动发现）"
                         : origin && strcmp(origin, "application") == 0 ? "（依申请）" : "",
        NULL, NULL,
    };
    int r = render(t, vars, out);
    free(names.buf);
    return r;
}

/* Renders a wish event of match for `ch` (its prototype belongs in notify_templates.h; until
 * that header carries it, notify_server.c declares it). `value` is the matched offer's unit
 * value in fen. Returns 1 and fills *out, 0 if that event has no template on that channel,
 * -1 on allocation failure. */
int notify_render_wish(const char *event_type, notify_channel_t ch, const char *title,
                       const char *category, const char *donor, const char *household_id,
                       int64_t value, const char *signature, notify_msg_t *out)
{
    out->template_name = NULL;
    out->body = NULL;
    const notify_template_t *t = notify_template_find(event_type, ch);
    if (!t)
        return 0;
    const char *cat = lookup(wish_category_names, sizeof wish_category_names / sizeof wish_category_names[0], category);
    char money[SAIS_MONEY_BUF];
    sais_money_format(value, money);
    const char *vars[] = {
        "sig", signature && *signature ? signature : NOTIFY_SMS_SIGNATURE,
        "title", title ? title : "",
        "category", cat ? cat : (category ? category : ""),
        "donor", donor && *donor ? donor : "爱心人士",
        "household", household_id ? household_id : "",
        "value", money,
        NULL, NULL,
    };
    return render(t, vars, out);
}
