/* SPDX-License-Identifier: MIT */
/* guest_balloon.c - the hypervisor: a host with 64 MiB runs a guest with 32 MiB of "physical"
 * memory; the host inflates the guest's balloon to take 2048 pages (8 MiB) back, then lets them
 * go again. */
#include "example.h"

#include <umm_hv.h>

int main(void)
{
    umm_hv_host_config_t hc = UMM_HV_HOST_CONFIG_INIT;
    hc.ram_bytes = 64 << 20;
    hc.swap_bytes = 0;
    hc.flags = UMM_HV_NO_WORKERS; /* the host acts only in umm_hv_host_step(): deterministic */
    umm_hv_host_t *host;
    CHECK(umm_hv_host_create(&hc, &host));
    umm_hv_guest_config_t gc = {.sys = UMM_CONFIG_INIT, .name = "guest"};
    gc.sys.ram_bytes = 32 << 20;
    umm_hv_guest_t *guest;
    CHECK(umm_hv_guest_create(host, &gc, &guest));
    umm_hv_guest_stats_t gs;
    CHECK(umm_hv_balloon_set_target(guest, 2048));
    for (int i = 0; i < 100; i++) {
        CHECK(umm_hv_host_step(host));
        CHECK(umm_hv_guest_stats(guest, &gs));
        if (gs.balloon_actual == 2048)
            break;
    }
    printf("balloon inflated: %llu of %llu pages\n", (unsigned long long)gs.balloon_actual,
           (unsigned long long)gs.balloon_target);
    int ok = gs.balloon_actual == 2048;
    CHECK(umm_hv_balloon_set_target(guest, 0));
    for (int i = 0; i < 100 && gs.balloon_actual; i++) {
        CHECK(umm_hv_host_step(host));
        CHECK(umm_hv_guest_stats(guest, &gs));
    }
    printf("balloon deflated: %llu pages left\n", (unsigned long long)gs.balloon_actual);
    umm_hv_guest_destroy(guest);
    umm_hv_host_destroy(host);
    return ok && gs.balloon_actual == 0 ? 0 : 1;
}
