"""Labels and number/date formatting of the reports in English (``en``) and Chinese (``zh``).

Every text a reader sees in ``report.html``, ``report.xlsx``, ``compare.html`` and ``compare.xlsx``
comes from :data:`LABELS` through :meth:`Locale.t`; numbers, percentages, hours and dates are
formatted by the locale's methods so that both languages read naturally (``12.3 %`` and
``Mon 4 Jan 2027`` in English, ``12.3%`` and ``2027年1月4日 周一`` in Chinese). Data from the
user's files (ids, names, class codes and labels, solver messages) is shown unchanged.
"""

from __future__ import annotations

import datetime as dt
import math

from planner.errors import PlannerError

LANGS = ("en", "zh")

# key -> (English, Chinese); ``{name}`` placeholders are filled by ``Locale.t(key, name=...)``
LABELS: dict[str, tuple[str, str]] = {
    # titles and header
    "report_title": ("Plan report", "方案报告"),
    "compare_title": ("Plan comparison", "方案对比"),
    "kind_plan": ("Plan", "方案"),
    "kind_baseline": ("Administrative baseline", "行政区划基准方案"),
    "method_market": ("market-based territories", "按市场划分片区"),
    "method_administrative": ("administrative districts (today's assignment)", "按行政区划（现行分配）"),
    "seed": ("seed", "随机种子"),
    "horizon": ("{weeks} weeks from {date}", "自{date}起 {weeks} 周"),
    "made": ("made", "生成于"),
    "valid": ("Checked independently: valid", "独立校验：通过"),
    "invalid": ("Independent check found {n} problems", "独立校验发现 {n} 个问题"),
    "not_validated": ("Not checked independently", "未经独立校验"),
    "summary": ("Summary", "概要"),
    "against_baseline": ("Plan against the administrative baseline (today's assignment, scheduled the same way)",
                         "本方案与行政区划基准方案（现行分配，按同样方法排程）对比"),
    "no_baseline": ("No administrative baseline in this plan folder.", "本方案文件夹中没有行政区划基准方案。"),
    "baseline_short": ("administrative", "行政区划"),
    "same_as_baseline": ("same as administrative", "与行政区划相同"),
    "better": ("better", "更好"),
    "worse": ("worse", "更差"),
    "unchanged": ("unchanged", "不变"),
    # KPIs
    "kpi": ("KPI", "指标"),
    "plan": ("Plan", "本方案"),
    "baseline": ("Administrative", "行政区划基准"),
    "change": ("Change", "变化"),
    "imbalance": ("Workload imbalance", "工作量不均衡度"),
    "imbalance_desc": ("how far the busiest manager's workload is above the average",
                       "工作量最多的客户经理高出平均值的比例"),
    "travel_share": ("Travel share", "路途时间占比"),
    "travel_share_desc": ("share of working time spent on the road", "工作时间中用于路途的比例"),
    "key_frequency_compliance": ("Key-customer visits made", "重点客户拜访达成率"),
    "key_frequency_compliance_desc": ("planned visits to key customers / required visits",
                                      "重点客户已安排拜访次数 / 应拜访次数"),
    "unplanned_visits": ("Visits not planned", "未安排的拜访"),
    "unplanned_visits_desc": ("required visits that did not fit in the calendar", "未能排入日程的应拜访次数"),
    "travel_hours": ("Travel hours", "路途时间（小时）"),
    "service_hours": ("Service hours", "拜访服务时间（小时）"),
    "workload_hours": ("Workload hours", "总工作量（小时）"),
    "wait_hours": ("Waiting hours", "等待时间（小时）"),
    "visits_planned": ("Visits planned", "已安排拜访次数"),
    "visits_required": ("Visits required", "应拜访次数"),
    "remote_contacts": ("Remote contacts", "远程联系次数"),
    "retailers": ("Retailers", "零售客户数"),
    "managers": ("Customer managers", "客户经理人数"),
    "routes": ("Day routes", "日线路数"),
    "compactness_min": ("Compactness (min from base)", "紧凑度（距驻点分钟）"),
    "service_radius_p95_min": ("Service radius, 95 % (min)", "服务半径 95% 分位（分钟）"),
    "workload_cv": ("Workload variation (CV)", "工作量变异系数"),
    "frequency_class": ("Visits made, class {c}", "{c} 类客户拜访达成率"),
    "pp": ("pp", "个百分点"),
    "h": ("h", "小时"),
    "min": ("min", "分钟"),
    # map
    "map": ("Map", "地图"),
    "map_hint": ("Click a retailer, route or territory for details; use the panel to show managers and days.",
                 "点击客户、线路或片区查看详情；用右侧面板选择客户经理和日期。"),
    "layers": ("Layers", "图层"),
    "territories": ("Territories", "片区"),
    "retailers_layer": ("Retailers", "零售客户"),
    "routes_layer": ("Routes", "线路"),
    "bases": ("Manager bases", "客户经理驻点"),
    "not_planned_layer": ("Visits not planned", "未安排拜访"),
    "background": ("Background map (online)", "底图（需联网）"),
    "background_offline": ("background map unavailable offline", "离线时无法加载底图"),
    "day": ("Day", "日期"),
    "all_days": ("All days", "全部日期"),
    "week_n": ("Week {n}", "第 {n} 周"),
    "managers_layer": ("Managers", "客户经理"),
    "all": ("all", "全选"),
    "none": ("none", "全不选"),
    "key_customer": ("key customer", "重点客户"),
    "other_customer": ("other customer", "其他客户"),
    "base": ("base", "驻点"),
    "class": ("Class", "类别"),
    "manager": ("Manager", "客户经理"),
    "team": ("Team", "服务组"),
    "name": ("Name", "名称"),
    "tier": ("Tier", "档位"),
    "visits_planned_of": ("Visits planned", "已安排拜访"),
    "of_required": ("of {n} required", "（应拜访 {n} 次）"),
    "visit_days": ("Visit days", "拜访日期"),
    "not_planned": ("Not planned", "未安排"),
    "route": ("Route", "线路"),
    "visits_word": ("visits", "次拜访"),
    "travel_word": ("travel", "路途"),
    "service_word": ("service", "服务"),
    "waiting_word": ("waiting", "等待"),
    "start_end": ("start – end", "出发 – 返回"),
    "remote": ("remote contact", "远程联系"),
    "vacant": ("vacant", "空缺"),
    "no_locations": ("Retailer locations are not available (the plan's input files were not found).",
                     "无法显示客户位置（未找到方案的输入文件）。"),
    "inputs_changed": ("The input files changed after the plan was made; retailer names and locations are "
                       "taken from the current files.", "方案生成后输入文件已更改；客户名称和位置取自当前文件。"),
    "from_workbook": ("Retailer names and locations are taken from the plan's report.xlsx (the input files "
                      "were not found).", "客户名称和位置取自方案的 report.xlsx（未找到输入文件）。"),
    # managers table
    "managers_title": ("Customer managers", "客户经理"),
    # the service team: specialists, contacts, duties and leave
    "contacts_planned": ("Contacts planned", "已安排远程联系"),
    "contacts_unplanned": ("Contacts not planned", "未安排的远程联系"),
    "specialists": ("Specialists", "专员人数"),
    "specialist_visits_required": ("Specialist visits required", "专员应拜访次数"),
    "specialist_visits_planned": ("Specialist visits planned", "专员已安排拜访"),
    "specialist_visits_unplanned": ("Specialist visits not planned", "专员未安排的拜访"),
    "specialist_travel_hours": ("Specialists' travel hours", "专员路途时间（小时）"),
    "specialist_service_hours": ("Specialists' service hours", "专员服务时间（小时）"),
    "specialist_imbalance": ("Specialists' workload imbalance (within teams)", "专员工作量不均衡度（部门内）"),
    "leave_days": ("Leave days", "休假天数"),
    "duty_hours": ("Hours of duties (meetings, training)", "会议、培训等事务时间（小时）"),
    "team_title": ("The service team: specialists, contacts, duties and leave", "客户服务部：专员、远程联系、事务与休假"),
    "specialists_title": ("Specialists", "专员"),
    "specialists_hint": ("Specialists serve the key customers of their team's territories (no territory of their own); "
                         "their workload is balanced among the specialists of a team and never mixed into the managers' "
                         "imbalance.", "专员服务本部门各片区的重点客户（不负责片区）；其工作量在同一部门的专员之间均衡，"
                         "不计入客户经理的工作量不均衡度。"),
    "no_specialists": ("No specialists in this plan.", "本方案没有专员。"),
    "skills": ("Skills", "专长"),
    "specialist_col": ("Specialist", "专员"),
    "vs_team_mean": ("vs team's specialists", "与部门专员平均相比"),
    "contacts_title": ("Contacts (phone, messaging)", "远程联系（电话、消息）"),
    "contacts_hint": ("Contacts are made at the desk at the base, before or after the day's route, outside duties "
                      "and break windows (contacts.csv).", "远程联系在驻地办公时进行，安排在当天线路之前或之后，"
                      "避开事务和休息时段（contacts.csv）。"),
    "contacts_col": ("Contacts", "远程联系"),
    "contact_hours": ("Contact hours", "联系时间（小时）"),
    "duties_title": ("Duties and leave", "事务与休假"),
    "duties_hint": ("No visit, contact or route is planned in these times.", "这些时间内不安排拜访、联系或线路。"),
    "duty": ("Duty", "事务"),
    "weekdays": ("Weekdays", "星期"),
    "duty_time": ("Time", "时间"),
    "who": ("Who", "人员"),
    "who_all": ("everyone", "全体"),
    "no_duties": ("No weekly duties in the scenario.", "方案中没有每周例行事务。"),
    "leave": ("Leave", "休假"),
    "no_leave": ("Nobody is on leave in the horizon.", "计划期内无人休假。"),
    "available_h": ("Available h", "可用时间（小时）"),
    "duty_h": ("Duties h", "事务（小时）"),
    "role": ("Role", "岗位"),
    "role_manager": ("manager", "客户经理"),
    "role_specialist": ("specialist", "专员"),
    "kind_col": ("Kind", "类型"),
    "kind_regular": ("regular visit", "常规拜访"),
    "kind_specialist": ("specialist visit", "专员拜访"),
    "kind_contact": ("contact", "远程联系"),
    "sheet_specialists": ("Specialists", "专员"),
    "sheet_contacts": ("Contacts", "远程联系"),
    "sheet_duties": ("Duties and leave", "事务与休假"),
    "contact_start": ("Start", "开始"),
    "contact_end": ("End", "结束"),
    "key_customers": ("Key customers", "重点客户"),
    "visits": ("Visits", "拜访次数"),
    "service_h": ("Service h", "服务（小时）"),
    "travel_h": ("Travel h", "路途（小时）"),
    "workload_h": ("Workload h", "工作量（小时）"),
    "workload_vs_mean": ("Workload vs mean", "与平均值相比"),
    "estimated_h": ("Estimated h", "预估工作量（小时）"),
    "actual_vs_estimate": ("Actual vs estimate", "实际与预估之差"),
    "baseline_workload_h": ("Administrative workload h", "行政区划方案工作量（小时）"),
    "days_worked": ("Days worked", "出勤天数"),
    "longest_day_h": ("Longest day h", "最长工作日（小时）"),
    "total": ("Total", "合计"),
    "mean_row": ("Mean", "平均"),
    "sort_hint": ("Click a column header to sort.", "点击列标题排序。"),
    # charts
    "charts": ("Charts", "图表"),
    "chart_workload": ("Workload per manager (hours in the horizon)", "各客户经理工作量（计划期内小时数）"),
    "chart_travel_share": ("Travel share per manager", "各客户经理路途时间占比"),
    "chart_frequency": ("Visits made by class", "各类客户拜访达成率"),
    "chart_frontier": ("Frequency–travel trade-off", "拜访频次与路途时间的权衡"),
    "service": ("service", "服务"),
    "travel": ("travel", "路途"),
    "mean": ("mean", "平均值"),
    "tolerance": ("balance tolerance ±{p}", "均衡允许偏差 ±{p}"),
    "plan_overall": ("plan overall", "本方案整体"),
    "baseline_overall": ("administrative overall", "行政区划整体"),
    "baseline_workload": ("administrative workload", "行政区划方案工作量"),
    "frontier_x": ("Travel hours (all managers)", "路途时间（全体客户经理，小时）"),
    "frontier_y": ("Key-customer visits made", "重点客户拜访达成率"),
    "frontier_axis_y": ("Visits made (share of required)", "拜访达成率（占应拜访次数）"),
    "frontier_series": ("computed plans", "计算的方案"),
    "this_plan": ("this plan", "本方案"),
    "frontier_none": ("No frequency–travel curve was computed for this plan (run planner frontier).",
                      "本方案未计算频次—路途曲线（可运行 planner frontier）。"),
    # unplanned
    "unplanned_title": ("Visits not planned", "未安排的拜访"),
    "unplanned_none": ("None: every required visit is in the calendar.", "无：所有应拜访均已排入日程。"),
    "unplanned_count": ("{n} required visits are not in the calendar.", "有 {n} 次应拜访未排入日程。"),
    "reason": ("Reason", "原因"),
    "count": ("Count", "次数"),
    "details": ("Details", "说明"),
    "date": ("Date", "日期"),
    "retailer": ("Retailer", "零售客户"),
    "any_day": ("any day", "任意日期"),
    "show_all_rows": ("Show all {n} rows", "显示全部 {n} 行"),
    "reason_shift_capacity": ("no room in the working day", "工作日时间不足"),
    "reason_opening_hours": ("closed at the possible times (opening hours)", "可拜访时段不在营业时间内"),
    "reason_unreachable": ("cannot be reached by road", "道路无法到达"),
    "reason_low_value": ("not worth the travel time", "拜访价值低于路途成本"),
    "reason_vehicle_capacity": ("no capacity left", "容量不足"),
    # about
    "about": ("How this plan was made", "方案生成方式"),
    "scenario": ("Scenario", "情景"),
    "scenario_file": ("Scenario file", "情景文件"),
    "territory_method": ("Territories", "片区划分"),
    "calendar_method": ("Calendar", "日程安排"),
    "baseline_method": ("Administrative baseline", "行政区划基准方案"),
    "travel_model": ("Travel model", "路程模型"),
    "inputs": ("Input files", "输入文件"),
    "reproduce": ("The same scenario, input files and seed give the same plan.",
                  "相同的情景、输入文件和随机种子会得到相同的方案。"),
    "generated_by": ("Made with fieldplan {v}", "由 fieldplan {v} 生成"),
    "map_credits": ("Map: Leaflet; road geometry © OpenStreetMap contributors.",
                    "地图：Leaflet；道路几何 © OpenStreetMap 贡献者。"),
    "map_background": ("Background map: {a}.", "底图：{a}。"),
    # compare
    "plans_compared": ("Plans compared", "参与对比的方案"),
    "reference": ("reference", "参照"),
    "change_vs": ("Change vs {ref}", "相对“{ref}”的变化"),
    "kpis_side_by_side": ("KPIs side by side", "指标对比"),
    "moves_title": ("Retailers that change manager", "更换客户经理的零售客户"),
    "moves_summary": ("{n} of {total} retailers change manager ({p}).", "{total} 个客户中有 {n} 个更换客户经理（{p}）。"),
    "moves_none": ("No retailer changes manager.", "没有客户更换客户经理。"),
    "moves_pairs": ("Moves between managers", "客户经理之间的客户调整"),
    "from": ("From", "原客户经理"),
    "to": ("To", "新客户经理"),
    "from_team": ("From team", "原服务组"),
    "to_team": ("To team", "新服务组"),
    "not_in_plan": ("(not in plan)", "（不在方案中）"),
    "new_retailer": ("new retailer", "新增客户"),
    "removed_retailer": ("removed retailer", "已移除客户"),
    "compare_with": ("Compare with", "对比方案"),
    "changes_map": ("Map of the changes", "变动地图"),
    "moved": ("Retailers that change manager", "更换客户经理的客户"),
    "unchanged_retailers": ("Unchanged retailers", "未变动客户"),
    "ref_territories": ("Reference territories (outline)", "参照方案片区（轮廓）"),
    "other_territories": ("Compared plan territories", "对比方案片区"),
    "workload_before_after": ("Workload per manager", "各客户经理工作量"),
    "only_in": ("only in {label}", "仅在“{label}”中"),
    "plan_label": ("Plan", "方案"),
    "folder": ("Folder", "文件夹"),
    "kind": ("Kind", "类型"),
    "delta": ("Δ", "变化"),
    "moves_count": ("Retailers moved", "调整客户数"),
    # workbook
    "sheet_summary": ("Summary", "概要"),
    "sheet_managers": ("Managers", "客户经理"),
    "sheet_assignments": ("Assignments", "客户分配"),
    "sheet_calendar": ("Calendar", "拜访日程"),
    "sheet_unplanned": ("Not planned", "未安排拜访"),
    "sheet_frontier": ("Frontier", "频次路途曲线"),
    "sheet_kpis": ("KPIs", "指标"),
    "sheet_moves": ("Moves", "客户调整"),
    "sheet_pairs": ("Moves by manager", "按经理汇总调整"),
    "weekday": ("Weekday", "星期"),
    "day_index": ("Day no.", "第几天"),
    "sequence": ("Stop", "顺序"),
    "arrival": ("Arrival", "到达时间"),
    "departure": ("Departure", "离开时间"),
    "travel_min": ("Travel min", "路途（分钟）"),
    "service_min": ("Service min", "服务（分钟）"),
    "baseline_manager": ("Administrative manager", "行政区划方案客户经理"),
    "moved_flag": ("Moved", "是否调整"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "lon": ("Longitude", "经度"),
    "lat": ("Latitude", "纬度"),
    "lon_crs": ("Longitude ({crs})", "经度（{crs}）"),
    "lat_crs": ("Latitude ({crs})", "纬度（{crs}）"),
    "class_rule": ("Class rule", "分类规则"),
    "classify": ("Classes by rule (first match wins)", "客户分类规则（按顺序匹配）"),
    "classify_rule": ("Rule {k}: class {c} if {tests}: {n} retailers", "规则 {k}：{tests} → {c} 类，{n} 户"),
    "classify_all": ("everything else", "其余全部"),
    "visits_required_col": ("Visits required", "应拜访次数"),
    "value": ("Value", "数值"),
    "item": ("Item", "项目"),
    "created": ("Made", "生成时间"),
    "start_date": ("First day", "起始日期"),
    "weeks": ("Weeks", "周数"),
    "page": ("Page &P of &N", "第 &P 页，共 &N 页"),
    "frontier_value": ("Value", "参数值"),
    "workload_plan_h": ("Workload h: {label}", "工作量（小时）：{label}"),
    "retailers_plan": ("Retailers: {label}", "客户数：{label}"),
    "lambda": ("visit value λ (s)", "拜访价值 λ（秒）"),
    # route sheets
    "route_sheet": ("Route sheet", "拜访线路单"),
    "sheets_title": ("Route sheet of {m}", "{m} 拜访线路单"),
    "sheets_sub": ("{n} working days from {d} · plan {p}", "自{d}起 {n} 个工作日 · 方案 {p}"),
    "sheets_nav": ("Navigation links open {app}.", "导航链接打开{app}。"),
    "nav_amap": ("AMap", "高德地图"),
    "nav_baidu": ("Baidu Maps", "百度地图"),
    "nav_osm": ("OpenStreetMap", "OpenStreetMap"),
    "nav_geo": ("the phone's map app (geo:)", "手机地图应用（geo:）"),
    "navigate": ("Navigate", "导航"),
    "start": ("Start", "出发"),
    "end": ("End", "返回"),
    "stops": ("Stops", "拜访数"),
    "stops_n": ("{n} stops", "{n} 个拜访点"),
    "travel_total": ("Travel", "路途"),
    "service_total": ("Service", "服务"),
    "waiting_total": ("Waiting", "等待"),
    "breaks_word": ("Break", "休息"),
    "seq": ("#", "序号"),
    "time": ("Time", "时间"),
    "address": ("Address", "地址"),
    "phone": ("Phone", "电话"),
    "opening_hours": ("Opening hours", "营业时间"),
    "minutes": ("Min", "分钟"),
    "why_day": ("Why this day", "拜访依据"),
    "key_mark": ("key", "重点"),
    "why_every": ("every {wd}", "每{wd}"),
    "why_every_n": ("every {n} weeks on {wd}", "每{n}周{wd}"),
    "why_per_week": ("{k}× a week ({wds})", "每周{k}次（{wds}）"),
    "why_spread": ("{n} visits spread over {w} weeks", "{w}周内均匀拜访{n}次"),
    "why_once": ("once in {w} weeks", "{w}周内拜访1次"),
    "why_order_day": ("order day", "订货日"),
    "why_visit_k": ("visit {k} of {n}", "第{k}/{n}次"),
    "why_contact_k": ("contact {k} of {n}", "第{k}/{n}次联系"),
    "remote_title": ("Calls and messages (remote customers)", "电话/微信联系（远程服务客户）"),
    "remote_derived": ("Contact days spread evenly over the working days (the plan has no contacts.csv).",
                       "联系日期按工作日均匀分配（方案中没有 contacts.csv）。"),
    "remote_from_file": ("Contact days from the plan's contacts.csv.", "联系日期取自方案的 contacts.csv。"),
    "no_visits_day": ("No visits planned on this day.", "当日无拜访安排。"),
    "sheet_overview": ("Overview", "总览"),
    "contacts_n": ("Contacts", "远程联系数"),
    "day_map": ("Route of the day", "当日线路"),
    "sheets_print_hint": ("Prints on A4, one day per page; links work offline on a phone with a map app.",
                          "可用A4纸打印，每天一页；手机上点击链接即可打开地图应用导航。"),
    # assessment (planner assess) and the service vacuum
    "as_title": ("Assessment: the plan against what was done", "考核：计划与实际执行对比"),
    "as_sub": ("{start} to {end} · log {log}: {used} of {read} rows used", "{start} 至 {end} · 执行日志 {log}：共 {read} 行，使用 {used} 行"),
    "as_scores_file": ("scores: {f}", "评分文件：{f}"),
    "as_no_scores": ("no --scores file: the groups that need it are missing and the score uses the other weights",
                     "未提供评分文件（--scores）：依赖它的指标组缺失，得分按其余权重计算"),
    "as_all_posts": ("All posts", "全部岗位"),
    "as_score": ("Score", "得分"), "as_score_desc": ("mean over the posts, 0–100", "各岗位平均分（百分制）"),
    "ind_completion": ("Visits done", "拜访完成率"),
    "ind_completion_desc": ("door visits done / planned (same week counts)", "已完成上门拜访 / 计划拜访（同周内改期计入）"),
    "ind_on_planned_day": ("On the planned day", "按计划日期拜访率"),
    "ind_on_planned_day_desc": ("of the visits done, share on the planned day", "已完成拜访中在计划当日完成的比例"),
    "ind_key_frequency": ("Key-customer frequency met", "重点客户频次达成率"),
    "ind_key_frequency_desc": ("key-customer visits done / required", "重点客户已拜访次数 / 应拜访次数"),
    "ind_extra_visits": ("Unplanned visits made", "计划外拜访"),
    "ind_extra_visits_desc": ("door visits the plan did not ask for", "计划未安排的上门拜访次数"),
    "ind_contact_rate": ("Contacts made", "远程联系完成率"),
    "ind_contact_rate_desc": ("remote contacts done / planned", "已完成远程联系 / 计划联系"),
    "ind_hours_completion": ("Planned hours done", "计划工时完成率"),
    "ind_road_efficiency": ("Road time within plan", "路途时间效率"),
    "grp_service_process": ("Service process", "服务过程"),
    "grp_market_information": ("Market information", "市场信息"),
    "grp_sales_support": ("Sales support", "营销支持"),
    "as_how": ("How the score is made", "得分如何构成"),
    "as_how_text": ("Each indicator is a value from 0 to 1 measured against what the plan asked of the post itself "
                    "(rates to the post's own plan, so a heavy territory is not penalised for its size); a group's score is "
                    "the weighted mean of its indicators, the score the weighted mean of the groups, both renormalised over "
                    "the indicators and groups that have values.",
                    "每项指标取值 0–1，均以该岗位自身计划为基准（相对本岗位计划的比率，工作量大的片区不因规模受罚）；"
                    "指标组得分为组内指标加权平均，总分为各组加权平均，权重在有数据的指标和组之间重新归一。"),
    "as_group": ("Group", "指标组"), "as_weight": ("Weight", "权重"), "as_source": ("Source", "来源"),
    "as_indicators": ("Indicators (weight)", "指标（权重）"), "as_state": ("State", "状态"),
    "as_source_log": ("field log", "执行日志"), "as_source_scores": ("scores file", "评分文件"),
    "as_state_used": ("used", "已使用"), "as_state_missing": ("missing: {why}", "缺失：{why}"),
    "as_state_no_scores": ("no --scores file", "未提供评分文件"), "as_state_no_values": ("no values", "无数据"),
    "as_state_no_column": ("no column {c} in the scores file", "评分文件中没有 {c} 列"),
    "as_chart_scores": ("Score per post and the groups behind it", "各岗位得分及指标组构成"),
    "as_chart_rates": ("Service process per post", "各岗位服务过程指标"),
    "as_chart_visits": ("Door visits per post: planned, done, unplanned", "各岗位上门拜访：计划、完成、计划外"),
    "as_chart_road": ("Road time per visit against the plan (1 = as planned)", "每次拜访路途时间与计划之比（1 = 与计划相同）"),
    "as_managers": ("Indicators per post", "各岗位指标"), "as_classes": ("Visits per post and customer class", "各岗位分客户类别拜访"),
    "as_role": ("Role", "岗位"), "as_planned": ("Planned", "计划"), "as_done": ("Done", "完成"),
    "as_on_day": ("On day", "当日完成"), "as_moved": ("Moved in week", "周内改期"), "as_missed": ("Missed", "未完成"),
    "as_extra": ("Unplanned", "计划外"), "as_key_req": ("Key req.", "重点应访"), "as_key_done": ("Key done", "重点已访"),
    "as_contacts": ("Contacts", "远程联系"), "as_road_plan_h": ("Road h plan", "计划路途（小时）"),
    "as_road_done_h": ("Road h done", "实际路途（小时）"), "as_road_ratio": ("Road / plan", "路途/计划"),
    "as_planned_h": ("Planned h", "计划工时"), "as_workload_index": ("Workload index", "工作量指数"),
    "as_missing_groups": ("Missing groups", "缺失指标组"), "as_key": ("Key", "重点"),
    "as_problems": ("Problems in the log", "执行日志中的问题"),
    "as_problems_none": ("The log has no problems.", "执行日志没有问题。"),
    "as_problems_count": ("{n} rows with a problem ({unused} not used); every one is listed in log_problems.csv.",
                          "{n} 行有问题（其中 {unused} 行未使用），全部列于 log_problems.csv。"),
    "as_row": ("Row", "行"), "as_column": ("Column", "列"), "as_code": ("Problem", "问题"), "as_used": ("Used", "已使用"),
    "as_message": ("Details", "说明"), "as_file": ("File", "文件"),
    "pc_missing_value": ("missing value", "缺少数据"), "pc_bad_date": ("bad date", "日期无效"),
    "pc_bad_kind": ("bad kind", "类型无效"), "pc_unknown_manager": ("unknown manager", "未知客户经理"),
    "pc_unknown_retailer": ("unknown retailer", "未知客户"), "pc_outside_plan": ("date outside the plan", "日期超出计划期"),
    "pc_duplicate": ("duplicate", "重复"), "pc_bad_time": ("bad time", "时间无效"),
    "pc_end_before_start": ("ends before it starts", "结束早于开始"), "pc_non_working_day": ("non-working day", "非工作日"),
    "pc_overlap": ("overlapping visits", "拜访时间重叠"), "pc_missing_column": ("column missing", "缺少列"),
    "pc_bad_number": ("not a number", "不是数字"), "pc_no_scores": ("no scores", "无评分"),
    "sheet_as_posts": ("Posts", "岗位"), "sheet_as_classes": ("By class", "分类别"),
    "sheet_as_problems": ("Log problems", "日志问题"), "sheet_as_groups": ("Weights", "权重"),
    "vacuum_title": ("Service vacuum", "服务真空"),
    "vacuum_text": ("{n} retailers ({p}) have an administrative manager whose base is more than {ratio}× as far as the "
                    "nearest manager's and over {minutes} min farther; this plan serves {resolved} of them from a near "
                    "base. {m} market areas are split across administrative districts.",
                    "{n} 个客户（{p}）的行政区划客户经理驻点比最近的客户经理远 {ratio} 倍以上且多出 {minutes} 分钟以上；"
                    "本方案由较近驻点服务其中 {resolved} 个。{m} 个商圈被行政区划分割。"),
    "vacuum_layer": ("Service vacuum", "服务真空"),
    "split_layer": ("Split market areas", "被分割商圈"),
    "vacuum_district": ("District", "行政区"), "vacuum_retailers": ("Retailers in a vacuum", "服务真空客户"),
    "split_markets": ("Split market areas", "被分割商圈"), "market_area": ("Market area", "商圈"),
    "districts_counts": ("Retailers per district", "各行政区客户数"),
    "admin_manager": ("administrative manager", "行政区划客户经理"), "nearest_manager": ("nearest manager", "最近客户经理"),
    "plan_manager": ("manager in this plan", "本方案客户经理"),
}

WEEKDAYS = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]}
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise a :class:`PlannerError` naming the choices."""
    if lang not in LANGS:
        raise PlannerError(f"unknown report language {lang!r}; choose one of {', '.join(LANGS)}")
    return lang


class Locale:
    """Labels and number formats of one language."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = check_lang(lang)
        self._i = LANGS.index(lang)

    def t(self, key: str, **kw) -> str:
        """The label ``key`` with its ``{placeholders}`` filled from ``kw``."""
        text = LABELS[key][self._i]
        return text.format(**kw) if kw else text

    def labels(self, keys: list[str]) -> dict[str, str]:
        return {k: self.t(k) for k in keys}

    # -- numbers -------------------------------------------------------------------------------
    @staticmethod
    def _ok(x) -> bool:
        return x is not None and not (isinstance(x, float) and not math.isfinite(x))

    def num(self, x, digits: int = 1) -> str:
        """``1,234.5`` (both languages group thousands with commas in business documents)."""
        if not self._ok(x):
            return "–"
        return f"{x:,.{digits}f}"

    def int(self, x) -> str:
        if not self._ok(x):
            return "–"
        return f"{int(round(x)):,}"

    def pct(self, x, digits: int = 1) -> str:
        """A ratio as a percentage: ``12.3 %`` (en) or ``12.3%`` (zh)."""
        if not self._ok(x):
            return "–"
        return f"{100 * x:.{digits}f}" + ("%" if self.lang == "zh" else " %")

    def hours(self, x, digits: int = 1) -> str:
        if not self._ok(x):
            return "–"
        return f"{x:,.{digits}f} {self.t('h')}"

    def signed(self, x, digits: int = 1) -> str:
        if not self._ok(x):
            return "–"
        if round(x, digits) == 0:
            return f"{0:.{digits}f}"
        return ("+" if x > 0 else "−") + f"{abs(x):,.{digits}f}"

    def signed_int(self, x) -> str:
        if not self._ok(x):
            return "–"
        x = int(round(x))
        return "0" if x == 0 else ("+" if x > 0 else "−") + f"{abs(x):,}"

    def signed_pct(self, x, digits: int = 1) -> str:
        """A relative change: ``+4.5 %``."""
        if not self._ok(x):
            return "–"
        return self.signed(100 * x, digits) + ("%" if self.lang == "zh" else " %")

    def signed_pp(self, x, digits: int = 1) -> str:
        """A difference of two ratios in percentage points: ``−15.4 pp`` / ``−15.4 个百分点``."""
        if not self._ok(x):
            return "–"
        return self.signed(100 * x, digits) + " " + self.t("pp")

    # -- dates ---------------------------------------------------------------------------------
    def date(self, iso: str | dt.date | None, *, weekday: bool = True, year: bool = True) -> str:
        """``Mon 4 Jan 2027`` / ``2027年1月4日 周一``."""
        if not iso:
            return "–"
        d = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso)[:10])
        wd = WEEKDAYS[self.lang][d.weekday()]
        if self.lang == "zh":
            s = (f"{d.year}年" if year else "") + f"{d.month}月{d.day}日"
            return f"{s} {wd}" if weekday else s
        s = f"{d.day} {MONTHS_EN[d.month - 1]}" + (f" {d.year}" if year else "")
        return f"{wd} {s}" if weekday else s

    def weekday(self, iso: str) -> str:
        return WEEKDAYS[self.lang][dt.date.fromisoformat(str(iso)[:10]).weekday()]

    def weekday_name(self, name: str) -> str:
        """A weekday of the scenario (``Mon`` .. ``Sun``) in the report's language."""
        en = WEEKDAYS["en"]
        return WEEKDAYS[self.lang][en.index(name)] if name in en else str(name)

    def timestamp(self, iso: str | None) -> str:
        """An ISO timestamp (UTC) as local date and time: ``4 Jan 2027 13:05``."""
        if not iso:
            return "–"
        try:
            t = dt.datetime.fromisoformat(str(iso)).astimezone()
        except ValueError:
            return str(iso)
        hm = t.strftime("%H:%M")
        return f"{self.date(t.date(), weekday=False)} {hm}"

    def join(self, items) -> str:
        """A list in running text: ``a, b`` / ``a、b``."""
        return ("、" if self.lang == "zh" else ", ").join(str(x) for x in items)

    def paren(self, text: str) -> str:
        return f"（{text}）" if self.lang == "zh" else f"({text})"

    def reason(self, code: str) -> str:
        key = f"reason_{code}"
        return self.t(key) if key in LABELS else str(code)

    def kpi_label(self, key: str) -> str:
        if key.startswith("frequency_compliance:"):
            return self.t("frequency_class", c=key.split(":", 1)[1])
        return self.t(key) if key in LABELS else key


__all__ = ["LANGS", "LABELS", "Locale", "check_lang"]
