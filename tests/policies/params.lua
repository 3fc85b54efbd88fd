-- A one-policy catalogue for the sandbox tests: each test copies one probe file in as probe.lua.
order { "probe" }

params {
  ["probe.amount"] = yuan "100.00",
  ["probe.count"]  = 3,
  ["probe.share"]  = percent(50),
}

-- layered overrides: for region 330302, probe.count comes from "3303", probe.amount from "33"
override "33" { ["probe.amount"] = yuan "200.00", ["probe.count"] = 4 }
override "3303" { ["probe.count"] = 5 }
