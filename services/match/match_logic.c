/* match_logic — see match_logic.h. */
#include "match_logic.h"

#include <stdlib.h>
#include <string.h>

const char *const match_categories[] = {
    "clothing", "bedding", "food", "education", "medical", "appliance", "service", "other", NULL,
};

static bool in_list(const char *s, const char *const *list)
{
    if (!s)
        return false;
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

bool match_category_valid(const char *category)
{
    return in_list(category, match_categories);
}

bool match_kind_valid(const char *kind)
{
    static const char *const kinds[] = {"charity", "company", "volunteer_team", NULL};
    return in_list(kind, kinds);
}

bool match_status_valid(const char *status)
{
    static const char *const st[] = {"open", "matched", "fulfilled", "cancelled", NULL};
    return in_list(status, st);
}

bool match_region_prefix_valid(const char *prefix)
{
    if (!prefix || !*prefix)
        return true;
    size_t n = 0;
    for (const char *p = prefix; *p; p++, n++)
        if (*p < '0' || *p > '9')
            return false;
    return n >= 2 && n <= 6;
}

bool match_region_covers(const char *offer_region, const char *wish_region)
{
    if (!offer_region || !*offer_region)
        return true;
    return wish_region && strncmp(wish_region, offer_region, strlen(offer_region)) == 0;
}

bool match_can_cancel(const char *status)
{
    return status && (strcmp(status, "open") == 0 || strcmp(status, "matched") == 0);
}

bool match_can_fulfil(const char *status)
{
    return status && strcmp(status, "matched") == 0;
}

/* qsort has no context argument: sort indexes paired with their ages */
typedef struct {
    uint64_t age;
    size_t   index;
} aged_t;

static int aged_cmp(const void *a, const void *b)
{
    const aged_t *x = a, *y = b;
    if (x->age != y->age)
        return x->age < y->age ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

long match_pick_wishes(const char *offer_region, uint32_t quantity, const match_wish_cand_t *wishes,
                       size_t n, size_t *picked)
{
    if (quantity == 0 || n == 0)
        return 0;
    aged_t *v = malloc(n * sizeof *v);
    if (!v)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (match_region_covers(offer_region, wishes[i].region))
            v[m++] = (aged_t){wishes[i].age, i};
    qsort(v, m, sizeof *v, aged_cmp);
    size_t k = m < quantity ? m : quantity;
    for (size_t i = 0; i < k; i++)
        picked[i] = v[i].index;
    free(v);
    return (long)k;
}

long match_pick_offer(const char *wish_region, const match_offer_cand_t *offers, size_t n)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        if (offers[i].remaining == 0 || !match_region_covers(offers[i].region, wish_region))
            continue;
        if (best < 0 || offers[i].age < offers[best].age)
            best = (long)i;
    }
    return best;
}

int match_offer_take(uint32_t *remaining)
{
    if (*remaining == 0)
        return -1;
    (*remaining)--;
    return 0;
}

int match_offer_give_back(uint32_t *remaining, uint32_t quantity)
{
    if (*remaining >= quantity)
        return -1;
    (*remaining)++;
    return 0;
}
