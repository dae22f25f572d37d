# Reference outputs from R for tests/estimators/test_against_r.py (SYNTHETIC data only).
#
# Run from the repository root (R >= 4.0 with sandwich and jsonlite; nothing else):
#   Rscript tests/estimators/r_reference/make_r_reference.R
# It (1) simulates two small panels with a fixed seed and writes them as CSV,
# (2) reads those CSV files back (so R fits exactly the numbers Python reads),
# (3) fits the models and writes one CSV of results per estimator family and
# r_versions.json (R and package versions, the seed, the md5 of every file).
#
# Everything here is base R + sandwich: lm() with factor fixed effects, glm()
# with family = quasipoisson and factor fixed effects, sandwich::vcovCL().
# Callaway-Sant'Anna is NOT R's `did` package (not installable here): it is an
# independent base-R implementation of the formulas of did::att_gt (unconditional,
# varying base period) and did::aggte (simple, dynamic, group, calendar) with
# did's analytic (bstrap = FALSE) influence-function standard errors.

suppressPackageStartupMessages({
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/estimators/r_reference"

SEED <- 20240601L
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(SEED)

# results: 17 significant digits (round-trips a double); data: 15 (the simulated values are
# rounded to 6 decimals first, so 15 digits write them exactly as rounded)
fmt <- function(x, digits) ifelse(is.na(x), "NA", sprintf(paste0("%.", digits, "g"), x))

write_num_csv <- function(df, file, digits = 17L) {
  out <- df
  for (nm in names(out)) if (is.double(out[[nm]])) out[[nm]] <- fmt(out[[nm]], digits)
  write.csv(out, file.path(out_dir, file), row.names = FALSE, quote = FALSE)
}

# --------------------------------------------------------------------------------------
# 1. simulated county-year panel (synthetic): 60 units in 12 states, 2001-2012
# --------------------------------------------------------------------------------------
n_units <- 60L
years <- 2001:2012
n_states <- 12L
state <- c(seq_len(n_states), sample(seq_len(n_states), n_units - n_states, replace = TRUE,
                                     prob = seq(1, 3, length.out = n_states)))
cohorts <- c(0L, 2004L, 2006L, 2008L, 2010L, 2012L)
first_treat <- c(rep(cohorts, each = 3L),
                 sample(cohorts, n_units - 18L, replace = TRUE, prob = c(.3, .14, .14, .14, .14, .14)))
pop0 <- round(exp(rnorm(n_units, log(80000), 0.8)))
growth <- rnorm(n_units, 0.01, 0.01)
alpha_i <- rnorm(n_units, log(300), 0.3)
lambda_t <- cumsum(c(0, rnorm(length(years) - 1L, 0.01, 0.04)))
# heterogeneous effects on the log rate: by cohort, growing with event time (no effect before)
cohort_eff <- c("2004" = -0.10, "2006" = -0.06, "2008" = -0.03, "2010" = 0.00, "2012" = 0.02)

panel <- expand.grid(year = years, unit = seq_len(n_units))[, c("unit", "year")]
panel$state <- state[panel$unit]
panel$first_treat <- first_treat[panel$unit]
ti <- panel$year - min(years)
panel$pop <- round(pop0[panel$unit] * (1 + growth[panel$unit])^ti)
treated <- panel$first_treat > 0 & panel$year >= panel$first_treat
et <- panel$year - panel$first_treat
tau <- ifelse(treated, cohort_eff[as.character(panel$first_treat)] - 0.01 * et, 0)
x <- rnorm(nrow(panel))
log_rate <- alpha_i[panel$unit] + lambda_t[match(panel$year, years)] + tau + 0.02 * x +
  rnorm(nrow(panel), 0, 0.05)
panel$crimes <- rpois(nrow(panel), panel$pop * exp(log_rate) / 1e5)
panel$rate <- round(panel$crimes / panel$pop * 1e5, 6)
panel$x <- round(x, 6)
# rows kept in the unbalanced variant (about 10 % dropped at random)
panel$in_unbalanced <- as.integer(runif(nrow(panel)) > 0.10)
stopifnot(all(panel$crimes > 0))
write_num_csv(panel, "panel.csv", digits = 15L)

# --------------------------------------------------------------------------------------
# read back exactly what Python reads
# --------------------------------------------------------------------------------------
panel <- read.csv(file.path(out_dir, "panel.csv"))
panel$log_rate <- log(panel$rate)
panel$D <- as.numeric(panel$first_treat > 0 & panel$year >= panel$first_treat)

# --------------------------------------------------------------------------------------
# helpers: the three small-sample conventions of a clustered sandwich
# --------------------------------------------------------------------------------------
# K counted by fixest's ssc(fixef.K = "nested") (the package's SSC): the slopes plus the
# absorbed parameters of the fixed-effect blocks NOT nested in the clusters
# (sum of their levels - (number of such blocks - 1)); 1 (the constant) if all are nested.
nested_in <- function(fe, cl) all(tapply(cl, fe, function(v) length(unique(v))) == 1L)
k_nested <- function(n_slopes, fes, clusters) {
  # a block counts unless it is nested in every clustering variable
  nn <- Filter(function(f) !all(vapply(clusters, function(cl) nested_in(f, cl), TRUE)), fes)
  k_fe <- if (length(nn)) sum(vapply(nn, function(f) length(unique(f)), 1L)) - (length(nn) - 1L) else 1L
  n_slopes + k_fe
}

# one row per slope term: estimate and SEs under three conventions, plus t(G-1) interval
cluster_rows <- function(fit, terms, cl_formula, data, fes, clusters, case) {
  n <- nobs(fit)
  k_full <- fit$rank
  k_nest <- k_nested(length(terms), fes, clusters)
  V_hc0 <- vcovCL(fit, cluster = cl_formula, type = "HC0", cadjust = FALSE)
  V_hc1 <- vcovCL(fit, cluster = cl_formula, type = "HC1", cadjust = TRUE)
  # package / fixest nested convention: G/(G-1) per dimension, then (N-1)/(N-K_nested)
  V_g <- vcovCL(fit, cluster = cl_formula, type = "HC0", cadjust = TRUE)
  V_nest <- V_g * (n - 1) / (n - k_nest)
  G <- vapply(clusters, function(cl) length(unique(cl)), 1L)
  q <- qt(0.975, min(G) - 1)
  b <- coef(fit)[terms]
  se <- sqrt(diag(V_nest)[terms])
  data.frame(
    case = case, term = terms, estimate = unname(b), std_error = unname(se),
    std_error_hc1_all_fe = unname(sqrt(diag(V_hc1)[terms])),
    std_error_hc0 = unname(sqrt(diag(V_hc0)[terms])),
    conf_low = unname(b - q * se), conf_high = unname(b + q * se),
    n_obs = n, n_clusters = min(G), k_nested = k_nest, k_all = k_full,
    stringsAsFactors = FALSE
  )
}

# --------------------------------------------------------------------------------------
# 2. TWFE: lm with unit and year factor dummies; clustered CR1
# --------------------------------------------------------------------------------------
twfe_case <- function(case, yvar, data, weights = NULL, cluster = "state", controls = character()) {
  rhs <- paste(c("D", controls, "factor(unit)", "factor(year)"), collapse = " + ")
  f <- as.formula(paste(yvar, "~", rhs))
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  fit <- lm(f, data = data, weights = .w)
  cl_formula <- as.formula(paste("~", paste(cluster, collapse = " + ")))
  cluster_rows(fit, c("D", controls), cl_formula, data,
               list(data$unit, data$year), lapply(cluster, function(c) data[[c]]), case)
}
unbal <- panel[panel$in_unbalanced == 1L, ]
twfe_out <- rbind(
  twfe_case("rate_unweighted_cl_state", "rate", panel),
  twfe_case("rate_pop_weighted_cl_state", "rate", panel, weights = "pop"),
  twfe_case("lograte_pop_weighted_cl_state", "log_rate", panel, weights = "pop"),
  twfe_case("lograte_unweighted_cl_unit", "log_rate", panel, cluster = "unit"),
  twfe_case("rate_pop_weighted_x_cl_state", "rate", panel, weights = "pop", controls = "x"),
  twfe_case("rate_pop_weighted_unbalanced_cl_state", "rate", unbal, weights = "pop"),
  twfe_case("rate_unweighted_cl_state_year", "rate", panel, cluster = c("state", "year"))
)
twfe_out$term[twfe_out$term == "D"] <- "treated"
write_num_csv(twfe_out, "twfe_r.csv")

# --------------------------------------------------------------------------------------
# 3. event study: lm with binned relative-time dummies, one reference event time
# --------------------------------------------------------------------------------------
es_case <- function(case, yvar, data, lo, hi, ref, weights = NULL, cluster = "state") {
  e <- ifelse(data$first_treat > 0, data$year - data$first_treat, NA)
  eb <- pmin(pmax(e, lo), hi)  # endpoints binned: lo = "lo or earlier", hi = "hi or later"
  terms <- character()
  for (k in setdiff(lo:hi, ref)) {
    nm <- paste0("e", k)
    data[[make.names(nm)]] <- as.numeric(!is.na(eb) & eb == k)
    terms <- c(terms, make.names(nm))
  }
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  f <- as.formula(paste(yvar, "~", paste(c(terms, "factor(unit)", "factor(year)"), collapse = " + ")))
  fit <- lm(f, data = data, weights = .w)
  out <- cluster_rows(fit, terms, as.formula(paste("~", cluster)), data,
                      list(data$unit, data$year), list(data[[cluster]]), case)
  out$term <- sub("^e\\.", "e-", out$term)
  out$event_time <- as.integer(sub("^e", "", out$term))
  out$reference <- ref
  out$window_lo <- lo
  out$window_hi <- hi
  out
}
es_out <- rbind(
  es_case("rate_unweighted_cl_state_ref-1", "rate", panel, -4L, 4L, -1L),
  es_case("lograte_pop_weighted_cl_state_ref-2", "log_rate", panel, -4L, 3L, -2L, weights = "pop")
)
write_num_csv(es_out, "event_study_r.csv")

# --------------------------------------------------------------------------------------
# 4. PPML: glm(quasipoisson) with unit and year factor dummies; clustered CR1
# --------------------------------------------------------------------------------------
ppml_case <- function(case, data, offset = FALSE, weights = NULL, cluster = "state") {
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  data$.off <- if (offset) log(data$pop) else 0
  fit <- glm(crimes ~ D + factor(unit) + factor(year), family = quasipoisson(),
             data = data, weights = .w, offset = .off,
             control = glm.control(epsilon = 1e-12, maxit = 100))
  stopifnot(fit$converged)
  cluster_rows(fit, "D", as.formula(paste("~", cluster)), data,
               list(data$unit, data$year), list(data[[cluster]]), case)
}
ppml_out <- rbind(
  ppml_case("counts_offset_logpop_cl_state", panel, offset = TRUE),
  ppml_case("counts_no_offset_cl_unit", panel, cluster = "unit"),
  ppml_case("counts_offset_pop_weighted_cl_state", panel, offset = TRUE, weights = "pop")
)
ppml_out$term <- "treated"
write_num_csv(ppml_out, "ppml_r.csv")

# --------------------------------------------------------------------------------------
# 5. Sun & Abraham (2021) interaction-weighted estimator: lm, then cohort shares
# --------------------------------------------------------------------------------------
# Saturated regression on cohort x event-time dummies (every event time but the reference),
# never-treated units as the control cohort, unit and year dummies; nu_e = sum_g delta_ge *
# share of cohort g among the (weighted) observations at event time e; "ATT" averages the
# post-treatment delta_ge with weights proportional to their cells' (weighted) observations.
# SE: delta method w' V w with V the clustered variance of delta (shares treated as known).
sa_case <- function(case, yvar, data, ref = -1L, weights = NULL, cluster = "state") {
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  e <- ifelse(data$first_treat > 0, data$year - data$first_treat, NA)
  cells <- unique(data.frame(g = data$first_treat[!is.na(e)], e = e[!is.na(e)]))
  cells <- cells[cells$e != ref, ]
  cells <- cells[order(cells$g, cells$e), ]
  cells$name <- sprintf("d_%d_%s", cells$g, sub("-", "m", cells$e))
  cells$wsum <- NA_real_
  for (j in seq_len(nrow(cells))) {
    on <- !is.na(e) & data$first_treat == cells$g[j] & e == cells$e[j]
    data[[cells$name[j]]] <- as.numeric(on)
    cells$wsum[j] <- sum(data$.w[on])
  }
  f <- as.formula(paste(yvar, "~", paste(c(cells$name, "factor(unit)", "factor(year)"), collapse = " + ")))
  fit <- lm(f, data = data, weights = .w)
  stopifnot(!anyNA(coef(fit)[cells$name]))
  n <- nobs(fit)
  k_nest <- k_nested(nrow(cells), list(data$unit, data$year), list(data[[cluster]]))
  V <- vcovCL(fit, cluster = as.formula(paste("~", cluster)), type = "HC0", cadjust = TRUE)[
    cells$name, cells$name] * (n - 1) / (n - k_nest)
  delta <- coef(fit)[cells$name]
  G <- length(unique(data[[cluster]]))
  q <- qt(0.975, G - 1)
  one <- function(term, a) {
    est <- sum(a * delta)
    se <- sqrt(drop(t(a) %*% V %*% a))
    data.frame(case = case, term = term, estimate = est, std_error = se,
               conf_low = est - q * se, conf_high = est + q * se, n_obs = n, n_clusters = G,
               k_nested = k_nest, reference = ref)
  }
  post <- cells$e >= 0
  rows <- list(one("ATT", ifelse(post, cells$wsum, 0) / sum(cells$wsum[post])))
  for (k in sort(unique(cells$e))) {
    at <- cells$e == k
    rows[[length(rows) + 1L]] <- one(paste0("e", k), ifelse(at, cells$wsum, 0) / sum(cells$wsum[at]))
  }
  do.call(rbind, rows)
}
sa_out <- rbind(
  sa_case("rate_unweighted_cl_state_ref-1", "rate", panel),
  sa_case("lograte_pop_weighted_cl_unit_ref-1", "log_rate", panel, weights = "pop", cluster = "unit")
)
write_num_csv(sa_out, "sun_abraham_r.csv")

# --------------------------------------------------------------------------------------
# 6. Borusyak-Jaravel-Spiess imputation: lm on untreated rows, then the BJS variance
# --------------------------------------------------------------------------------------
# Y(0) = unit + year effects fitted by (weighted) least squares on the untreated rows;
# tau_it = Y - fitted Y(0) on treated rows; estimand weights w / sum(w) over all treated rows
# ("ATT") or those at event time k ("e<k>"). Variance (BJS Theorem 3, no small-sample
# factor): v = omega on treated rows, v0 = -W0 Z0 (Z0'W0 Z0)^-1 Z1' omega on untreated rows,
# V = sum over clusters of (sum v * eps)^2, eps = first-stage residual (untreated) or
# tau - tau_bar(g, e) with tau_bar = sum(v^2 tau) / sum(v^2) within cohort x event time.
bjs_case <- function(case, yvar, data, weights = NULL, cluster = "state") {
  data$.w <- if (is.null(weights)) 1 else data[[weights]]
  data$unit_f <- factor(data$unit)
  data$year_f <- factor(data$year)
  tr <- data$D == 1
  d0 <- data[!tr, ]
  d1 <- data[tr, ]
  fit0 <- lm(as.formula(paste(yvar, "~ unit_f + year_f")), data = d0, weights = .w)
  stopifnot(!anyNA(coef(fit0)))
  Z0 <- model.matrix(~ unit_f + year_f, d0)
  Z1 <- model.matrix(~ unit_f + year_f, d1)
  tau <- d1[[yvar]] - drop(Z1 %*% coef(fit0))
  e1 <- d1$year - d1$first_treat
  ks <- sort(unique(e1))
  Om <- cbind(ATT = d1$.w / sum(d1$.w),
              sapply(ks, function(k) ifelse(e1 == k, d1$.w, 0) / sum(d1$.w[e1 == k])))
  colnames(Om) <- c("ATT", paste0("e", ks))
  A <- solve(crossprod(Z0 * sqrt(d0$.w)), t(Z1) %*% Om)
  V0 <- -(Z0 * d0$.w) %*% A
  eps0 <- d0[[yvar]] - drop(Z0 %*% coef(fit0))
  cell <- paste(d1$first_treat, e1)
  cl0 <- d0[[cluster]]
  cl1 <- d1[[cluster]]
  cls <- sort(unique(data[[cluster]]))
  rows <- list()
  for (j in seq_len(ncol(Om))) {
    v1 <- Om[, j]
    tbar <- ave(v1^2 * tau, cell, FUN = sum) / ave(v1^2, cell, FUN = sum)
    eps1 <- ifelse(v1 != 0, tau - tbar, 0)
    eps1[is.nan(eps1)] <- 0
    S <- tapply(c(V0[, j] * eps0, v1 * eps1), factor(c(cl0, cl1), levels = cls), sum)
    rows[[j]] <- data.frame(case = case, term = colnames(Om)[j], estimate = sum(v1 * tau),
                            std_error = sqrt(sum(S^2)), n_obs = nrow(data),
                            n_clusters = length(cls))
  }
  do.call(rbind, rows)
}
bjs_out <- rbind(
  bjs_case("rate_unweighted_cl_state", "rate", panel),
  bjs_case("lograte_pop_weighted_cl_unit", "log_rate", panel, weights = "pop", cluster = "unit")
)
write_num_csv(bjs_out, "imputation_r.csv")

# --------------------------------------------------------------------------------------
# 7. Callaway-Sant'Anna (base-R implementation of did::att_gt / did::aggte formulas)
# --------------------------------------------------------------------------------------
# Unconditional parallel trends, varying base period, no anticipation, balanced panel.
# ATT(g,t) = weighted mean of Y_t - Y_b among cohort g  -  the same among the comparison
# units; b = g - 1 for t >= g, b = t - 1 for t < g. Comparison units: never treated, or
# never treated plus cohorts G > max(t, b) other than g (not yet treated).
# Sampling weights are each unit's weight in the first period (as did does).
# Influence function in did's scale: IF_i, with se = sqrt(mean(IF^2) / n).
cs_fit <- function(data, yvar, control_group, weights = NULL) {
  tl <- sort(unique(data$year))
  ul <- sort(unique(data$unit))
  Y <- matrix(NA_real_, length(ul), length(tl))
  Y[cbind(match(data$unit, ul), match(data$year, tl))] <- data[[yvar]]
  stopifnot(!anyNA(Y))
  first <- data[data$year == tl[1], ]
  first <- first[match(ul, first$unit), ]
  G <- first$first_treat
  w <- if (is.null(weights)) rep(1, length(ul)) else first[[weights]]
  w <- w / mean(w)
  n <- length(ul)
  glist <- sort(unique(G[G > 0]))
  cells <- list()
  IF <- list()
  for (g in glist) {
    for (t in tl[-1]) {
      b <- if (t >= g) g - 1 else t - 1
      Dg <- G == g
      Cg <- if (control_group == "never_treated") G == 0 else (G == 0) | (G > max(t, b) & G != g)
      dy <- Y[, match(t, tl)] - Y[, match(b, tl)]
      mD <- sum(w[Dg] * dy[Dg]) / sum(w[Dg])
      mC <- sum(w[Cg] * dy[Cg]) / sum(w[Cg])
      inf <- n * (w * Dg * (dy - mD) / sum(w * Dg) - w * Cg * (dy - mC) / sum(w * Cg))
      cells[[length(cells) + 1L]] <- data.frame(group = g, time = t, base = b, estimate = mD - mC,
                                                n_treated = sum(Dg), n_control = sum(Cg))
      IF[[length(IF) + 1L]] <- inf
    }
  }
  cells <- do.call(rbind, cells)
  IF <- do.call(cbind, IF)
  se_of <- function(inf) sqrt(mean(inf^2) / n)
  cells$std_error <- apply(IF, 2, se_of)
  # aggregation (did::aggte): cohort shares p_g = mean(w * 1{G = g}) and the
  # influence function of the estimated weights
  pgg <- vapply(glist, function(g) mean(w * (G == g)), 1)
  pg <- pgg[match(cells$group, glist)]
  weight_if <- function(keep, p) {
    num <- sapply(keep, function(k) (w * (G == cells$group[k]) - p[k]) / sum(p[keep]))
    den <- rowSums(sapply(keep, function(k) w * (G == cells$group[k]) - p[k])) %*%
      t(p[keep] / sum(p[keep])^2)
    num - den
  }
  agg <- function(keep, with_wif = TRUE) {
    a <- pg[keep] / sum(pg[keep])
    est <- sum(a * cells$estimate[keep])
    inf <- IF[, keep, drop = FALSE] %*% a
    if (with_wif) inf <- inf + weight_if(keep, pg) %*% cells$estimate[keep]
    list(est = est, inf = as.vector(inf))
  }
  rows <- list()
  add <- function(type, term, est, inf) {
    rows[[length(rows) + 1L]] <<- data.frame(aggregation = type, term = term, estimate = est,
                                             std_error = se_of(inf))
  }
  post <- which(cells$time >= cells$group)
  s <- agg(post)
  add("simple", "ATT(simple)", s$est, s$inf)
  ev <- cells$time - cells$group
  es <- sort(unique(ev))
  dyn <- lapply(es, function(e) agg(which(ev == e)))
  for (j in seq_along(es)) add("dynamic", paste0("e", es[j]), dyn[[j]]$est, dyn[[j]]$inf)
  pos <- which(es >= 0)
  add("dynamic", "ATT(dynamic)", mean(sapply(dyn[pos], `[[`, "est")),
      rowMeans(sapply(dyn[pos], `[[`, "inf")))
  grp <- lapply(glist, function(g) agg(which(cells$group == g & cells$time >= g), with_wif = FALSE))
  for (j in seq_along(glist)) add("group", paste0("g", glist[j]), grp[[j]]$est, grp[[j]]$inf)
  ag <- pgg / sum(pgg)
  g_inf <- sapply(grp, `[[`, "inf") %*% ag
  wif_g <- sapply(seq_along(glist), function(j) (w * (G == glist[j]) - pgg[j]) / sum(pgg)) -
    rowSums(sapply(seq_along(glist), function(j) w * (G == glist[j]) - pgg[j])) %*% t(pgg / sum(pgg)^2)
  g_est <- sapply(grp, `[[`, "est")
  add("group", "ATT(group)", sum(ag * g_est), as.vector(g_inf + wif_g %*% g_est))
  ctl <- tl[tl >= min(glist)]
  cal <- lapply(ctl, function(t1) agg(which(cells$time == t1 & cells$group <= t1)))
  for (j in seq_along(ctl)) add("calendar", paste0("t", ctl[j]), cal[[j]]$est, cal[[j]]$inf)
  add("calendar", "ATT(calendar)", mean(sapply(cal, `[[`, "est")), rowMeans(sapply(cal, `[[`, "inf")))
  list(cells = cells, agg = do.call(rbind, rows))
}
cs_cases <- list(
  list(case = "rate_never_treated", y = "rate", cg = "never_treated", w = NULL),
  list(case = "rate_not_yet_treated", y = "rate", cg = "not_yet_treated", w = NULL),
  list(case = "lograte_not_yet_treated_pop_weighted", y = "log_rate", cg = "not_yet_treated", w = "pop"),
  list(case = "rate_never_treated_pop_weighted", y = "rate", cg = "never_treated", w = "pop")
)
cs_gt <- list()
cs_agg <- list()
for (cc in cs_cases) {
  r <- cs_fit(panel, cc$y, cc$cg, cc$w)
  cs_gt[[cc$case]] <- cbind(case = cc$case, r$cells)
  cs_agg[[cc$case]] <- cbind(case = cc$case, r$agg)
}
write_num_csv(do.call(rbind, cs_gt), "cs_att_gt_r.csv")
write_num_csv(do.call(rbind, cs_agg), "cs_aggregate_r.csv")

# --------------------------------------------------------------------------------------
# versions and checksums
# --------------------------------------------------------------------------------------
files <- c("panel.csv", "twfe_r.csv", "event_study_r.csv", "ppml_r.csv",
           "sun_abraham_r.csv", "imputation_r.csv", "cs_att_gt_r.csv", "cs_aggregate_r.csv")
meta <- list(
  generated_by = "tests/estimators/r_reference/make_r_reference.R",
  command = "Rscript tests/estimators/r_reference/make_r_reference.R",
  data = "SYNTHETIC: simulated in the script (set.seed above), not real crime data",
  seed = SEED,
  rng_kind = as.list(RNGkind()),
  r_version = R.version$version.string,
  platform = R.version$platform,
  packages = list(
    stats = as.character(packageVersion("stats")),
    sandwich = as.character(packageVersion("sandwich")),
    jsonlite = as.character(packageVersion("jsonlite"))
  ),
  callaway_santanna = paste(
    "base-R implementation of the formulas of R did::att_gt / did::aggte",
    "(did itself was not installed); analytic influence-function SEs (did bstrap = FALSE)"
  ),
  md5 = as.list(setNames(unname(tools::md5sum(file.path(out_dir, files))), files))
)
writeLines(toJSON(meta, auto_unbox = TRUE, pretty = TRUE), file.path(out_dir, "r_versions.json"))
cat("wrote", length(files) + 1L, "files to", out_dir, "\n")
