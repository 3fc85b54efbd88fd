/* What an applicant and a caseworker read about an application, to the character: notify's
 * templates for application.pending_review|approved|rejected, rendered by notify's own code.
 *
 * The build links a test_intake_* test with intake's library only, so notify's template file
 * is compiled into this test directly (it has no dependency beyond sais_common and the
 * protos); the function it adds is declared in notify_server.c until notify_templates.h
 * carries it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "../../services/notify/notify_templates.c"

static char *sms(const char *type, const char *const *policies, size_t n, const char *origin, const char *sig)
{
    notify_msg_t m;
    int r = notify_render_application(type, NOTIFY_SMS, policies, n, "H330329000001", origin, sig, &m);
    assert_int_equal(r, 1);
    assert_non_null(m.body);
    char want[64];
    snprintf(want, sizeof want, "sms.%s", type);
    assert_string_equal(m.template_name, want);
    return m.body;
}

static void test_sms_exact(void **state)
{
    (void)state;
    const char *dibao[] = {"dibao"};
    char *s = sms("application.pending_review", dibao, 1, "application", NULL);
    assert_string_equal(s, "【温州市民政局】您家庭的最低生活保障申请已通过核对，正在等待审核。如有疑问请咨询当地民政窗口。");
    free(s);

    const char *two[] = {"dibao", "disability_care"};
    s = sms("application.approved", two, 2, "application", NULL);
    assert_string_equal(s, "【温州市民政局】您家庭的最低生活保障、重度残疾人护理补贴申请已批准。如有疑问请咨询当地民政窗口。");
    free(s);

    const char *tm[] = {"temp_medical"};
    s = sms("application.approved", tm, 1, "proactive", "泰顺县民政局");
    assert_string_equal(s, "【泰顺县民政局】您家庭的临时救助(支出型)申请已批准。如有疑问请咨询当地民政窗口。");
    free(s);

    /* no policy named: assistance in general */
    s = sms("application.rejected", NULL, 0, "application", NULL);
    assert_string_equal(s, "【温州市民政局】您家庭的社会救助申请未获批准。如有疑问请咨询当地民政窗口。");
    free(s);

    /* a policy the table has no name for is shown by its id rather than dropped */
    const char *odd[] = {"tekun", "new_policy"};
    s = sms("application.rejected", odd, 2, "application", "");
    assert_string_equal(s, "【温州市民政局】您家庭的特困供养、new_policy申请未获批准。如有疑问请咨询当地民政窗口。");
    free(s);
}

static void test_inbox_and_silence(void **state)
{
    (void)state;
    const char *dibao[] = {"dibao"};
    notify_msg_t m;
    assert_int_equal(notify_render_application("application.pending_review", NOTIFY_INBOX, dibao, 1, "H330329000001",
                                               "proactive", NULL, &m), 1);
    assert_string_equal(m.template_name, "inbox.application.pending_review");
    assert_string_equal(m.body, "最低生活保障申请待审核：家庭H330329000001（主动发现）。");
    free(m.body);
    assert_int_equal(notify_render_application("application.pending_review", NOTIFY_INBOX, dibao, 1, "H1",
                                               "application", NULL, &m), 1);
    assert_string_equal(m.body, "最低生活保障申请待审核：家庭H1（依申请）。");
    free(m.body);

    /* what is not announced: a filed application (no decision yet), decisions in the inbox,
     * anything on the webhook channel (webhooks get the event itself) */
    const struct { const char *type; notify_channel_t ch; } none[] = {
        {"application.submitted", NOTIFY_SMS}, {"application.submitted", NOTIFY_INBOX},
        {"application.approved", NOTIFY_INBOX}, {"application.rejected", NOTIFY_INBOX},
        {"application.approved", NOTIFY_WEBHOOK}, {"application.verifying", NOTIFY_SMS},
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        assert_int_equal(notify_render_application(none[i].type, none[i].ch, dibao, 1, "H1", "application", NULL, &m), 0);
        assert_null(m.body);
    }
    /* each decision has exactly one SMS template */
    const char *decided[] = {"application.pending_review", "application.approved", "application.rejected"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = 0;
        for (size_t j = 0; j < notify_ntemplates; j++)
            n += notify_templates[j].channel == NOTIFY_SMS && strcmp(notify_templates[j].event_type, decided[i]) == 0;
        assert_int_equal(n, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sms_exact),
        cmocka_unit_test(test_inbox_and_silence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
