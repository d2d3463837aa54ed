"""The ``tabular`` adapter: pandas DataFrames with mixed column types, CTGAN-style model."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from tabgan.engine.privacy import PreprocessingBudget
from tabgan.estimator.adapters import (
    BaseAdapter,
    DataSampler,
    Encoded,
    TrainingSampler,
    register,
)
from tabgan.estimator.training_data import DataStream

from . import derived as derived_rules
from . import private
from .columns import (
    Column,
    ConstantColumn,
    ContinuousColumn,
    DiscreteColumn,
    IdColumn,
    column_from_state,
)
from .constrained import ON_VIOLATION, ConstraintPlan
from .constraint_conditions import translate as translate_conditions
from .constraints import Constraint, as_constraint
from .constraints import from_state as constraint_from_state
from .derived import DerivedColumn
from .metadata import check_frame, merge_metadata
from .networks import Discriminator, Generator, NetConfig
from .poisson import PoissonConditionalSampler
from .ranges import RangeChecker, shifted_bound, shifted_targets
from .sampler import ConditionalSampler, CondLayout, draw_conditions, flat_cdf
from .spans import Span, SpanLayout
from .values import from_json, to_json

__all__ = ["TabularAdapter"]

#: The column Index of models saved before its kind was recorded: flat, object, unnamed.
_FLAT_COLUMNS: dict[str, Any] = {"kind": "flat", "dtype": "object", "names": []}


@register
class TabularAdapter(BaseAdapter):
    """Tables (pandas DataFrames) of numerical, categorical, boolean, datetime and id columns.

    The model follows the CTGAN paper (Xu et al. 2019): mode-specific normalization of
    continuous columns, one-hot discrete columns, a conditional generator trained by sampling,
    and a PacGAN critic with WGAN-GP.

    Parameters
    ----------
    max_modes : int, default=10
        Gaussian mixture components per continuous column (modes under weight 0.005 dropped).
    max_categories : int, default=100
        One-hot slots per discrete column at most; rarer values share an "other" slot and are
        decoded by their training frequency (bounded memory for high-cardinality columns).
    max_fit_rows : int, default=5000
        Rows drawn at random to fit each mixture (encoding uses every row).
    enforce_min_max : bool, default=True
        Clip sampled numbers and datetimes to their training range (integers always are).
    tau : float, default=0.2
        Gumbel-softmax temperature of the one-hot outputs.
    generator_dims, discriminator_dims : tuple of int, default=(256, 256)
    derived : "auto", None or list of dict, default="auto"
        Derived columns, computed from other columns instead of modelled, so every sampled
        row satisfies their identity exactly. ``"auto"`` detects the identities that hold on
        every training row (equal columns, sums and differences of two numerical columns, a
        column times a small rational, ratios, and columns that are a function of another:
        see :mod:`tabgan.plugins.tabular.derived`); ``None`` models every column; a list of
        rules (dicts as in ``derived_``, e.g. ``{"column": "c", "kind": "linear", "terms":
        [["a", 1], ["b", -1]]}``) uses those (each is checked on the training rows).
    multi_conditions : float, default=0.5
        Share of the training conditional vectors that hold the values of several discrete
        columns of one real row (a random subset of them), not just one column's value. The
        generator then learns rows given several values, so ``sample(conditions=...)`` on
        two or more discrete columns gives rows whose other columns follow all of them
        (``0``: CTGAN's one column per vector; a condition on several columns then enters
        the generator through its first column only, the others being set afterwards).
    partner_loss : float, default=1.0
        Weight of a cross-entropy that scores every one-hot output of a generated row (the
        categories and the numeric columns' modes) against a real row holding the values of
        its conditional vector (its *partner*). The critic alone learns how the other columns
        depend on the conditioned ones late and weakly; this teaches the generator those
        conditional frequencies directly (``0``: the critic and CTGAN's condition loss only).
        Measured in ``benchmarks/fidelity.py`` (see benchmarks/README.md).
    constraints : list, optional
        Rules every generated row satisfies, met by construction (never by rejection):
        ``Inequality``, ``Range``, ``Positive``, ``Negative``, ``FixedCombinations``,
        ``Formula`` (see :mod:`tabgan.plugins.tabular.constraints`), or their dict forms. The
        same list can be given to ``fit(df, constraints=[...])`` (or as
        ``metadata["constraints"]``) instead; give it in one place only.
    on_violation : {"raise", "drop"}, default="raise"
        What ``fit`` does with training rows that violate a constraint: raise ``ValueError``
        naming the rows (their index labels) and columns, or drop them with a warning giving
        their number (``encode`` then drops the same rows). ``fit(..., on_violation=...)``
        overrides it.

    Notes
    -----
    Small tables: with ``batch_size`` left to the default (500), a table under 2,000 rows
    trains with a batch of about rows / 4 (a multiple of ``pac``), so an epoch is at least 4
    steps (see :class:`~tabgan.GANSynthesizer`). A ``batch_size`` you set larger than the table
    is kept: each step then draws that many real rows with replacement among the rows holding
    the drawn conditional values.

    Sampling runs a folded copy of the generator (BatchNorm merged into the linear layers,
    the one-hot conditional vector as a row lookup; :meth:`Generator.infer`) and returns
    compact rows (alphas, then each span's drawn slot), decoded without a one-hot matrix.

    Attributes
    ----------
    metadata_ : dict
        ``{"columns": {name: {"sdtype": ...}}}`` as used (sdmetrics' single-table format).
    columns_ : list
        The training columns, in order.
    transformers_ : list
        One fitted column transformer per column (a width-0 placeholder for derived ones).
    derived_ : list of dict
        The derived-column rules in use, in the order they are applied; each has ``column``,
        ``kind``, ``expression`` (for reading; never evaluated) and its structured inputs.
        Also in ``metadata_["derived"]``.
    constraints_ : list of Constraint
        The constraints in use (also, as dicts with a ``description``, in
        ``metadata_["constraints"]``). A column a constraint reads is never a derived column.
    """

    name: ClassVar[str] = "tabular"
    #: No ``y``: a target is one more column (conditions on it are ``sample``'s ``conditions``).
    supports_labels: ClassVar[bool] = False
    supports_constraints: ClassVar[bool] = True
    training_defaults: ClassVar[dict[str, Any]] = {
        "loss": "wgan",
        "epochs": 300,
        "batch_size": 500,
        "latent_dim": 128,
        "n_critic": 1,
        "pac": 10,
        "generator_lr": 2e-4,
        "discriminator_lr": 2e-4,
        "betas": (0.5, 0.9),
        "weight_decay": 1e-6,
        "gradient_penalty": 10.0,
        "ema_decay": 0.999,
    }
    #: Under differential privacy (no gradient penalty there): the hinge loss, a critic
    #: learning rate 15x the generator's (Adam's steps shrink against DP-SGD's noise) and fewer
    #: epochs. Measured on 5,000 adult rows, epsilon 3, one seed, sdmetrics quality: 30 epochs
    #: minimax at 2e-4 0.777, hinge at 2e-4 0.785, 1e-3 0.814, 3e-3 0.831, 1e-2 0.832. Epochs
    #: (hinge at 3e-3, epsilon 3, quality / HGB minority F1, mean of seeds 0-2 on credit_data,
    #: 0-1 on adult): 100 epochs 0.824 / 0.312 on credit_data, 0.854 / 0.528 on adult; 150
    #: epochs 0.850 / 0.351 and 0.852 / 0.550; 200 (seeds 0-1, seed 0) 0.827 / 0.409 and
    #: 0.857 / 0.497. More steps mean more noise per step at the same budget.
    private_training_defaults: ClassVar[dict[str, Any]] = {
        "loss": "hinge",
        "discriminator_lr": 3e-3,
        "epochs": 150,
    }

    #: Seeds the draws of the modes of continuous values in :meth:`encode` (a fresh generator
    #: each call, so a restored adapter encodes as the fitted one did: resume == straight run);
    #: drawn from the fit's generator, saved with the state (0 for models of tabgan 0.1).
    encode_seed_: int
    #: The ``multi_conditions`` share the generator was trained with (0 for tabgan 0.1 models:
    #: a condition on several columns then enters the generator through the first one only).
    multi_condition_: float

    def __init__(
        self,
        max_modes: int = 10,
        max_categories: int = 100,
        max_fit_rows: int = 5_000,
        enforce_min_max: bool = True,
        tau: float = 0.2,
        generator_dims: tuple[int, ...] = (256, 256),
        discriminator_dims: tuple[int, ...] = (256, 256),
        derived: str | list[dict[str, Any]] | None = "auto",
        multi_conditions: float = 0.5,
        partner_loss: float = 1.0,
        constraints: list[Any] | None = None,
        on_violation: str = "raise",
    ) -> None:
        self.max_modes = max_modes
        self.max_categories = max_categories
        self.max_fit_rows = max_fit_rows
        self.enforce_min_max = enforce_min_max
        self.tau = tau
        self.generator_dims = generator_dims
        self.discriminator_dims = discriminator_dims
        self.derived = derived
        self.multi_conditions = multi_conditions
        self.partner_loss = partner_loss
        self.constraints = constraints
        self.on_violation = on_violation

    # -- fitting ------------------------------------------------------------------------------
    def _check_params(self) -> None:
        for name, low in (("max_modes", 1), ("max_categories", 2), ("max_fit_rows", 10)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"`{name}` must be an int >= {low}, got {value!r}.")
        if not (isinstance(self.tau, (int, float)) and self.tau > 0):
            raise ValueError(f"`tau` must be > 0, got {self.tau!r}.")
        rate = self.multi_conditions
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"`multi_conditions` must be a number in [0, 1], got {rate!r}.")
        w = self.partner_loss
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w < float("inf"):
            raise ValueError(f"`partner_loss` must be a finite number >= 0, got {w!r}.")
        if not (self.derived is None or self.derived == "auto" or isinstance(self.derived, list)):
            raise ValueError(
                f'`derived` must be "auto", None or a list of rules, got {self.derived!r}.'
            )

    def _make_column(self, s: pd.Series, sdtype: str) -> Column:
        if sdtype == "id":
            return IdColumn()
        if s.nunique(dropna=False) == 1:
            return ConstantColumn()
        if sdtype in ("numerical", "datetime"):
            return ContinuousColumn(
                max_modes=self.max_modes,
                max_fit_rows=self.max_fit_rows,
                enforce_min_max=self.enforce_min_max,
            )
        return DiscreteColumn(max_categories=self.max_categories)

    def _fit(
        self,
        data: Any,
        y: Any,
        rng: np.random.Generator,
        *,
        metadata: Mapping[str, Any] | None = None,
        constraints: list[Any] | None = None,
        on_violation: str | None = None,
    ) -> None:
        """Infer the metadata and fit one transformer per column.

        Parameters
        ----------
        data : pandas.DataFrame
        y : None
            Labels are not supported (``supports_labels = False``: the base refuses them);
            keep a target as a column.
        rng : numpy Generator
            Also draws ``encode_seed_``, the seed of the mode draws of :meth:`encode`.
        metadata : dict, optional
            ``{"columns": {name: {"sdtype": ...}}}``; the columns it names override the inferred
            sdtypes (``numerical``, ``categorical``, ``boolean``, ``datetime``, ``id``).
        constraints, on_violation : optional
            As the parameters of the same names (given here, they take precedence).
        """
        self._check_params()
        df = check_frame(data)
        self.metadata_ = merge_metadata(df, metadata)
        self.columns_ = list(df.columns)
        self._record_column_index(df.columns)
        sdtypes = [self.metadata_["columns"][c]["sdtype"] for c in self.columns_]
        df = self._fit_constraints(df, sdtypes, metadata, constraints, on_violation)
        plan = self._plan
        if self.derived == "auto":
            self.derived_ = derived_rules.detect(df, sdtypes, keep=plan.keep, hide=plan.hide)
        else:
            given = self.derived if isinstance(self.derived, list) else []
            plan.check_rules(given)
            self.derived_ = derived_rules.fit_rules(df, given)
        if self.derived_:
            self.metadata_["derived"] = self.derived_
        targets = {r["column"] for r in self.derived_}
        plan.complete(df, {c for c, sd in zip(self.columns_, sdtypes) if sd != "id"} - targets)
        model = plan.model_frame(df)  # constrained columns as the model learns them
        self.transformers_: list[Column | DerivedColumn] = []
        for i, col in enumerate(self.columns_):  # by position: a bool name is no mask
            s = model.iloc[:, i]
            if col in targets:
                self.transformers_.append(DerivedColumn().fit(s, rng))
                continue
            t = plan.column_for(col, s, sdtypes[i], self) or self._make_column(s, sdtypes[i])
            self.transformers_.append(t.fit(s, rng))
        self.encode_seed_ = int(rng.integers(2**63 - 1))
        self.multi_condition_ = float(self.multi_conditions)
        self._build_layout(group_by_width=True)
        if self.layout_.width == 0:
            single = " (the DataFrame has a single row)" if len(df) == 1 else ""
            raise ValueError(
                f"Nothing to learn: every column is an identifier or holds a single value{single}."
            )

    def _fit_private(
        self,
        data: Any,
        y: Any,
        rng: np.random.Generator,
        budget: PreprocessingBudget,
        *,
        metadata: Mapping[str, Any] | None = None,
        constraints: list[Any] | None = None,
        on_violation: str | None = None,
    ) -> dict[str, Any]:
        """:meth:`_fit` under differential privacy: every statistic the encoding needs is
        public (``metadata``: sdtypes, ``"values"``, ``"min"``/``"max"``) or released with
        noise from ``budget`` (see :mod:`.private`); no derived columns, no spike but 0, no
        constraints (checking them on the rows, or learning a fixed combination's set of
        combinations, would read the rows outside the budget)."""
        self._check_params()
        given = [k for k, v in self._given_constraints(metadata, constraints).items() if v]
        if given or on_violation is not None:
            where = ", ".join(given) if given else "fit(..., on_violation=...)"
            raise ValueError(
                f"Constraints cannot be combined with differential_privacy (given in {where}): "
                "checking them on the training rows and learning what they need (the set of a "
                "FixedCombinations, an Inequality's gaps) would read the rows outside the "
                "privacy budget. Fit without them and filter the sampled rows, or fit without "
                "differential_privacy."
            )
        if self.derived not in ("auto", None):
            raise ValueError(
                "Derived-column rules cannot be given under differential privacy (checking them "
                "and learning their mappings reads the rows); use derived=None or 'auto' (no "
                "detection under DP)."
            )
        df = check_frame(data)
        self.metadata_ = private.private_metadata(df, metadata)
        self.columns_ = list(df.columns)
        self._record_column_index(df.columns)
        self.derived_ = []
        sdtypes = [self.metadata_["columns"][c]["sdtype"] for c in self.columns_]
        transformers, record = private.fit_columns(
            df,
            sdtypes,
            metadata,
            budget,
            rng,
            lambda: ContinuousColumn(
                max_modes=self.max_modes,
                max_fit_rows=self.max_fit_rows,
                enforce_min_max=self.enforce_min_max,
            ),
            lambda: DiscreteColumn(max_categories=self.max_categories),
        )
        self.transformers_ = transformers
        self.metadata_["privacy"] = record["columns"]
        self.encode_seed_ = int(rng.integers(2**63 - 1))
        self.multi_condition_ = 0.0  # one column per conditional vector (see .poisson)
        self._build_layout(group_by_width=True)
        if self.layout_.width == 0:
            raise ValueError("Nothing to learn: every column is an identifier.")
        return record

    def _record_column_index(self, columns: pd.Index) -> None:
        """What :meth:`_column_index` needs to give samples the training columns' Index."""
        multi = isinstance(columns, pd.MultiIndex)
        self.columns_index_ = {
            "kind": "multi" if multi else "flat",
            "dtype": "object" if multi else str(columns.dtype),
            "names": [to_json(n) for n in columns.names],
        }

    def _column_index(self) -> pd.Index:
        """The training columns as an Index of their kind (a MultiIndex, or flat even when the
        names are tuples), dtype and level names."""
        info = self.columns_index_
        names = [from_json(n) for n in info["names"]] or None
        if info["kind"] == "multi":
            return pd.MultiIndex.from_tuples(self.columns_, names=names)
        name = names[0] if names else None
        try:
            dtype = pd.api.types.pandas_dtype(info["dtype"])
            return pd.Index(self.columns_, dtype=dtype, tupleize_cols=False, name=name)
        except (TypeError, ValueError):
            return pd.Index(self.columns_, dtype=object, tupleize_cols=False, name=name)

    def _build_layout(self, *, group_by_width: bool) -> None:
        spans, starts, cond_starts, cond_widths = [], [], [], []
        pos = 0
        for t in self.transformers_:
            starts.append(pos)
            if isinstance(t, DiscreteColumn):
                cond_starts.append(pos)
                cond_widths.append(t.width)
            for width, kind in t.spans:
                spans.append(Span(pos, width, kind))
                pos += width
        self.starts_ = starts
        self.layout_ = SpanLayout(spans, group_by_width=group_by_width)
        self.cond_ = CondLayout.build(cond_starts, cond_widths, self.layout_)
        self._discrete = [t for t in self.transformers_ if isinstance(t, DiscreteColumn)]
        self._ranges = RangeChecker(self.transformers_, starts, self.layout_)
        # compact-row column of each discrete column's slot index, and each cond slot's index
        # within its column (to force conditions on compact samples)
        seg = self.layout_.segment_of
        self._cond_compact = torch.tensor(
            [self.layout_.n_tanh + seg[s] for s in cond_starts], dtype=torch.long
        )
        self._cond_local = torch.tensor(
            [k for w in cond_widths for k in range(w)], dtype=torch.float32
        )

    # -- encoding -----------------------------------------------------------------------------
    def _frame(self, data: Any) -> pd.DataFrame:
        df = check_frame(data)
        if set(df.columns) != set(self.columns_):
            missing = [c for c in self.columns_ if c not in set(df.columns)]
            extra = [c for c in df.columns if c not in set(self.columns_)]
            raise ValueError(
                f"The DataFrame's columns differ from the training columns "
                f"(missing {missing}, unexpected {extra})."
            )
        return df.iloc[:, df.columns.get_indexer(pd.Index(self.columns_, tupleize_cols=False))]

    def _encode(self, data: Any, y: Any) -> Encoded:
        """The rows of ``data`` as float32 encoded rows (model order, ``layout_.width`` wide);
        no labels. Rows that violate a constraint are refused (``on_violation="drop"``:
        left out)."""
        df = self._plan.encode_frame(self._frame(data))
        rng = np.random.default_rng(self.encode_seed_)
        out = np.empty((len(df), self.layout_.width), np.float32)  # model order, filled in place
        for i, (t, start) in enumerate(zip(self.transformers_, self.starts_, strict=True)):
            if t.width:
                block = t.encode(df.iloc[:, i], rng)
                out[:, self.layout_.model_pos[start : start + t.width]] = block
        return Encoded(torch.from_numpy(out))

    def _decode(self, x: torch.Tensor, rng: np.random.Generator) -> pd.DataFrame:
        """The table of rows ``x``: encoded rows (model order, ``layout_.width`` wide; each
        one-hot span read by its argmax, so soft rows decode too) or the compact rows that
        :meth:`generate` gives (``layout_.compact_width`` wide: alphas, then slot indices)."""
        layout = self.layout_
        x = x.detach().cpu()
        if not x.is_floating_point():
            x = x.float()
        t = layout.n_tanh
        if x.ndim != 2 or x.shape[1] not in (layout.width, layout.compact_width):
            raise ValueError(
                f"Expected rows of {layout.width} (encoded) or {layout.compact_width} (compact) "
                f"values, got shape {tuple(x.shape)}."
            )
        # encoded rows are read by argmax; when both widths agree every span is 1 wide: slot 0,
        # or -1 where generate() fixed a value
        if x.shape[1] == layout.width and layout.width != layout.compact_width:
            codes = layout.codes(x[:, t:]).numpy()
        elif x.shape[1] == layout.width:
            codes = torch.where(x[:, t:] < 0, -1, 0).numpy()
        else:
            codes = x[:, t:].round().long().numpy()
        alphas = x[:, :t].numpy()
        seg = layout.segment_of
        n = len(x)
        series = {}
        for i, (col, tr, start) in enumerate(
            zip(self.columns_, self.transformers_, self.starts_, strict=True)
        ):
            if isinstance(tr, ContinuousColumn):
                k = len(tr.means_)
                nan = codes[:, seg[start + 1 + k]] == 1 if tr.has_nan_ else None
                alpha = alphas[:, layout.model_pos[start]]
                series[i] = tr.decode_parts(alpha, codes[:, seg[start + 1]], nan, col)
            elif isinstance(tr, DiscreteColumn):
                series[i] = tr.decode_codes(codes[:, seg[start]], rng, col)
            else:
                series[i] = tr.decode(np.zeros((n, 0), np.float32), rng, col)
        self._plan.decode(self.columns_, series, n)  # constrained columns, then derived ones
        derived_rules.apply_rules(self.derived_, self.columns_, series, n)
        self._plan.finish(self.columns_, series, n)
        out = pd.DataFrame(series)
        out.columns = self._column_index() if self.columns_ else out.columns
        return out

    def canonical_view(self, data: Any) -> Any:
        """What the memorization guard compares, as ``evaluate`` does under ``metadata_``.

        The training columns other than ids (regenerated, so never copies), each in a dtype
        that says how :mod:`tabgan.estimator.memorization` compares it: numerical columns as
        numbers, categorical and boolean columns that hold numbers or datetimes as their text
        (``1`` and ``1.0`` agree). Other columns of ``data`` are left out; a missing one is an
        error.
        """
        from tabgan.estimator.memorization import as_text

        if not isinstance(data, pd.DataFrame):
            return data
        sdtypes = {c: self.metadata_["columns"][c]["sdtype"] for c in self.columns_}
        keep = [c for c in self.columns_ if sdtypes[c] != "id"]
        absent = [c for c in keep if c not in data.columns]
        if absent:
            raise ValueError(f"The rows lack the training column(s) {absent}.")
        # by position: labels such as True/False would select rows as a boolean mask
        positions = [data.columns.get_loc(c) for c in keep]
        if not all(isinstance(p, int) for p in positions):
            raise ValueError("The rows have duplicated column names; the training data had none.")
        view = data.iloc[:, positions].copy()
        for i, c in enumerate(keep):
            s = view.iloc[:, i]
            numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(
                s.dtype
            )
            if sdtypes[c] == "numerical" and not numeric:
                view.isetitem(i, pd.to_numeric(s, errors="coerce"))
            elif sdtypes[c] in ("categorical", "boolean") and (
                numeric or pd.api.types.is_datetime64_any_dtype(s.dtype)
            ):
                view.isetitem(i, pd.Series(as_text(s), index=s.index, dtype=object))
        return view

    # -- constraints --------------------------------------------------------------------------
    #: The fitted constraints (this empty plan until a fit or a load gives the adapter its own).
    _plan: ConstraintPlan = ConstraintPlan([], [], [])

    @property
    def constraints_(self) -> list[Constraint]:
        """The constraints in use (empty when none were given)."""
        return list(self._plan.constraints)

    def _given_constraints(
        self, metadata: Mapping[str, Any] | None, constraints: list[Any] | None
    ) -> dict[str, Any]:
        """The three places constraints can be given, named as the user wrote them."""
        return {
            "TabularAdapter(constraints=...)": self.constraints,
            "fit(..., constraints=...)": constraints,
            'metadata["constraints"]': (metadata or {}).get("constraints"),
        }

    def _fit_constraints(
        self,
        df: pd.DataFrame,
        sdtypes: list[str],
        metadata: Mapping[str, Any] | None,
        constraints: list[Any] | None,
        on_violation: str | None,
    ) -> pd.DataFrame:
        """Check the constraints on the training rows and plan them (:mod:`.constrained`);
        the rows that are kept."""
        sources = self._given_constraints(metadata, constraints)
        given = {k: v for k, v in sources.items() if v is not None}
        if len(given) > 1:
            raise ValueError(f"Constraints are given in {list(given)}; give them in one place.")
        rule = self.on_violation if on_violation is None else on_violation
        if rule not in ON_VIOLATION:
            raise ValueError(f"`on_violation` must be 'raise' or 'drop', got {rule!r}.")
        spec = next(iter(given.values()), None)
        by_column = dict(zip(self.columns_, sdtypes))
        self._plan, kept = ConstraintPlan.fit(spec, df, by_column, rule, self.enforce_min_max)
        if self._plan.active:
            self.metadata_["constraints"] = self._plan.describe()
        return kept

    def sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        """The base's, after conditions on constrained columns became conditions on what the
        model learns (:mod:`.constraint_conditions`): a combination for fixed combinations,
        exact values of ``low`` and of the gap for the high side of an inequality; a condition
        that violates a constraint, or one on a formula's column, is refused."""
        self._check_fitted()
        if conditions is not None and self._plan.active:
            moved = self._base_conditions(conditions)  # derived columns -> their sources
            conditions = translate_conditions(self._plan, self, n, moved)
        return super().sampling_conditions(n, conditions)

    def set_formula(self, column: Any, function: Any) -> TabularAdapter:
        """Give back the Python function of ``Formula(column, function)`` to a model read from
        disk (a saved model holds no code: its file only names the function); returns self."""
        self._check_fitted()
        self._plan.set_function(column, function)
        self.metadata_["constraints"] = self._plan.describe()
        return self

    def _param_to_json(self, name: str, value: Any) -> Any:
        if name == "constraints" and value is not None:
            return [as_constraint(c).to_state() for c in value]
        return value

    @classmethod
    def _param_from_json(cls, name: str, value: Any) -> Any:
        if name == "constraints" and value is not None:
            return [constraint_from_state(c) for c in value]
        return value

    # -- networks -----------------------------------------------------------------------------
    @property
    def cond_dim(self) -> int:
        return self.cond_.dim

    def _net_config(self) -> NetConfig:
        return NetConfig(
            data_dim=self.layout_.width,
            cond_dim=self.cond_dim,
            generator_dims=tuple(self.generator_dims),
            discriminator_dims=tuple(self.discriminator_dims),
        )

    def build_generator(self, latent_dim: int) -> nn.Module:
        return Generator(latent_dim, self._net_config())

    def build_discriminator(self, pac: int) -> nn.Module:
        return Discriminator(pac, self._net_config())

    def activate(self, raw: torch.Tensor, *, hard: bool = False) -> torch.Tensor:
        return self.layout_.activate(raw, tau=self.tau, hard=hard)

    def open_stream(self, data: Any) -> DataStream | None:
        """A Parquet/CSV path, a folder of them or a ``pyarrow.dataset.Dataset`` (or a
        :class:`~.streaming.TableStream`) is streamed: see :mod:`.streaming`."""
        from .streaming import TableStream, is_table_source

        if isinstance(data, TableStream):
            return data
        return TableStream(data) if is_table_source(data) else None

    def make_sampler(self, encoded: Encoded) -> TrainingSampler:
        if self.cond_dim == 0:
            return DataSampler(encoded)
        if self.privacy_ is not None:  # rows by index, conditions from the noisy counts
            counts = [t.slot_counts for t in self._discrete]
            return PoissonConditionalSampler(encoded.data, self.cond_, self.layout_, counts)
        return ConditionalSampler(
            encoded.data,
            self.cond_,
            self.layout_,
            multi_rate=self.multi_condition_,
            partner_weight=float(self.partner_loss),
        )

    # -- sampling -----------------------------------------------------------------------------
    #: Redraws of the rows that miss a range condition before ``sample`` gives up.
    max_range_tries: ClassVar[int] = 500
    #: Redraws of the rows that miss an exact value on a continuous column: the closest draw
    #: is kept, then given the value exactly (so an exact value never fails).
    exact_value_tries: ClassVar[int] = 20

    @property
    def sampling_batch_size(self) -> int:
        """Rows per generator pass in ``sample``: large passes keep the products efficient
        (100k adult rows ~10% faster than in passes of 1024, one thread), capped so a pass's
        output stays near 16 MiB on wide tables."""
        return int(min(8192, max(1024, 2**22 // max(self.layout_.width, 1))))

    def generate(
        self, generator: nn.Module, z: torch.Tensor, cond: torch.Tensor | None, **kwargs: Any
    ) -> torch.Tensor:
        """Hard samples that meet the conditions, as compact rows for :meth:`decode`:
        ``(B, layout_.compact_width)``, the ``tanh`` alphas then the slot drawn in each span
        (``layout_.expand`` makes them encoded one-hot rows; 7x less memory on adult).

        ``cond`` is what :meth:`sampling_conditions` made: ``[cond vector | forced slots]``,
        then ``[low | high | value]`` per continuous column when conditions on continuous
        columns were asked for (or just slot ids). Discrete conditions are forced in the
        output; rows outside a range are redrawn (bounded). For an exact value, rows are
        redrawn a few times (:attr:`exact_value_tries`) and the draw whose value is closest is
        kept, so the other columns follow that value as the model learned it; the value is
        then set exactly: such rows come back in float64 with the column's mode slot at ``-1``
        and the value (shifted) in its alpha slot (see :meth:`ContinuousColumn.decode_parts`).
        """
        if kwargs:
            raise TypeError(f"The tabular adapter takes no sampling options; got {list(kwargs)}.")
        d, j = self.cond_dim, self._ranges.n
        if cond is None or j == 0 or cond.shape[1] != 2 * d + 3 * j or not cond.is_floating_point():
            return self._generate_once(generator, z, cond)
        base = cond[:, : 2 * d].float() if d else None
        lo, hi, target = (
            cond[:, 2 * d + i * j : 2 * d + (i + 1) * j].double().cpu() for i in range(3)
        )
        x = self._meet_ranges(generator, z, base, lo, hi)
        return self._meet_values(generator, z, base, x, lo, hi, target)

    def _meet_ranges(
        self,
        generator: nn.Module,
        z: torch.Tensor,
        base: torch.Tensor | None,
        lo: torch.Tensor,
        hi: torch.Tensor,
    ) -> torch.Tensor:
        """Samples whose continuous columns lie in ``[lo, hi]`` (shifted space), by redrawing
        the rows outside; ``ValueError`` after :attr:`max_range_tries` redraws."""
        x = self._generate_once(generator, z, base)
        if not (torch.isfinite(lo) | torch.isfinite(hi)).any():
            return x
        for _ in range(self.max_range_tries):
            bad = ~self._ranges.satisfied(x, lo, hi)
            if not bad.any():
                return x
            idx = torch.nonzero(bad).squeeze(1)
            z_new = torch.randn(len(idx), z.shape[1], device=z.device, dtype=z.dtype)
            x[idx.to(x.device)] = self._generate_once(generator, z_new, self._redraw(base, idx))
        constrained = (torch.isfinite(lo) | torch.isfinite(hi)).any(0)
        names = [self.columns_[self._ranges.columns[k]] for k in torch.nonzero(constrained)[:, 0]]
        raise ValueError(
            f"Range conditions on {names}: {int(bad.sum())} of {len(x)} rows were still outside "
            f"after {self.max_range_tries} redraws; the model rarely generates such values "
            "(widen the range or train longer)."
        )

    def _meet_values(
        self,
        generator: nn.Module,
        z: torch.Tensor,
        base: torch.Tensor | None,
        x: torch.Tensor,
        lo: torch.Tensor,
        hi: torch.Tensor,
        target: torch.Tensor,
    ) -> torch.Tensor:
        """``x`` with the exact values ``target`` on continuous columns (shifted space; NaN:
        none, ``inf`` (:data:`.ranges.MISSING`): a missing value): the closest of a few draws
        within the ranges, then the value set exactly. Float64 compact rows on the CPU."""
        asked = ~torch.isnan(target)
        missing = asked & torch.isinf(target)
        exact = asked & ~missing
        self._force_missing(x, missing, exact)
        if exact.any():
            gap = self._ranges.distance(x, target, exact)
            for _ in range(self.exact_value_tries):
                todo = torch.nonzero(gap > 0).squeeze(1)
                if not len(todo):
                    break
                z_new = torch.randn(len(todo), z.shape[1], device=z.device, dtype=z.dtype)
                cand = self._generate_once(generator, z_new, self._redraw(base, todo))
                self._force_missing(cand, missing[todo], exact[todo])
                new_gap = self._ranges.distance(cand, target[todo], exact[todo])
                new_gap[~self._ranges.satisfied(cand, lo[todo], hi[todo])] = torch.inf
                better = new_gap < gap[todo]
                x[todo[better].to(x.device)] = cand[better.to(cand.device)]
                gap[todo[better]] = new_gap[better]
        out = x.detach().to("cpu", torch.float64)
        for k in torch.nonzero(exact.any(0))[:, 0].tolist():
            rows = exact[:, k]
            out[rows, int(self._ranges.alpha_pos[k])] = target[rows, k]
            out[rows, int(self._ranges.mode_col[k])] = -1.0
        return out

    def _redraw(self, base: torch.Tensor | None, idx: torch.Tensor) -> torch.Tensor | None:
        """The conditions ``base`` of the rows ``idx`` for a redraw: a row that forces no
        discrete value gets a fresh cond vector (drawn like unconditioned samples), so redraws
        sample the model's joint distribution, not one drawn value's."""
        if base is None:
            return None
        part = base[idx.to(base.device)]
        d = self.cond_dim
        free = part[:, d:].sum(1) == 0
        if bool(free.any()):
            cdf, bounds = self._empirical_cdf(part.device)
            slots = draw_conditions(cdf, bounds, int(free.sum()), part.device)
            fresh = torch.zeros(len(slots), d, dtype=part.dtype, device=part.device)
            part[free, :d] = fresh.scatter_(1, slots.unsqueeze(1), 1.0)
        return part

    def _force_missing(self, x: torch.Tensor, missing: torch.Tensor, exact: torch.Tensor) -> None:
        """Set the missing indicator of compact rows ``x`` in place: on where a missing value
        is asked for, off where an exact value is."""
        for k in torch.nonzero((missing | exact).any(0))[:, 0].tolist():
            c = int(self._ranges.nan_col[k])
            if c < 0:
                continue
            on, off = missing[:, k].to(x.device), exact[:, k].to(x.device)
            x[:, c] = torch.where(on, 1.0, torch.where(off, 0.0, x[:, c])).to(x.dtype)

    def _generate_once(
        self, generator: nn.Module, z: torch.Tensor, cond: torch.Tensor | None
    ) -> torch.Tensor:
        d = self.cond_dim
        draw = self.layout_.draw_t
        if cond is None or d == 0:
            return draw(self._raw_t(generator, z, None, None))
        if not cond.is_floating_point():  # slot ids: nothing forced
            return draw(self._raw_t(generator, z, cond[:, 0], None))
        x = draw(self._raw_t(generator, z, None, cond[:, :d]))
        force = cond[:, d : 2 * d].to(x.dtype)
        col_of = self.cond_.col_of.to(x.device).expand_as(force)
        n_cols = len(self.cond_.widths)
        forced = torch.zeros(len(x), n_cols, dtype=x.dtype, device=x.device)
        forced = forced.scatter_add(1, col_of, force) > 0
        local = force * self._cond_local.to(x.device)  # one forced slot per column at most
        code = torch.zeros(len(x), n_cols, dtype=x.dtype, device=x.device).scatter_add(
            1, col_of, local
        )
        cols = self._cond_compact.to(x.device)
        x[:, cols] = torch.where(forced, code, x[:, cols])
        return x

    def _raw_t(
        self,
        generator: nn.Module,
        z: torch.Tensor,
        slots: torch.Tensor | None,
        cond: torch.Tensor | None,
    ) -> torch.Tensor:
        """The generator's output, transposed, for one-hot conditional vectors given by their
        ``slots`` or for dense ``cond``; through :meth:`Generator.infer` when it applies."""
        if cond is not None:  # a one-hot ``cond`` is a row lookup
            hot = cond.argmax(1)
            if bool(((cond.sum(1) == 1) & (cond.gather(1, hot[:, None])[:, 0] == 1)).all()):
                slots, cond = hot, None
        if isinstance(generator, Generator) and generator.can_infer():
            return generator.infer(z, slots=slots, cond=cond, transposed=True)
        if slots is not None:
            cond = torch.zeros(len(z), self.cond_dim, device=z.device, dtype=z.dtype)
            cond.scatter_(1, slots.to(z.device).unsqueeze(1), 1.0)
        return generator(z, cond).t()

    def _empirical_cdf(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        weights = [t.slot_counts.astype(np.float64) for t in self._discrete]
        bounds = np.concatenate([[0], np.cumsum(self.cond_.widths)])
        return flat_cdf(weights, device), torch.tensor(bounds, dtype=torch.long, device=device)

    def _sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        """The per-sample conditions: ``[cond vector | forced slots]``, float ``(n, 2 *
        cond_dim)``, or for ``conditions=None`` just the hot slot of each cond vector, int64
        ``(n, 1)`` (nothing forced; ``None`` without discrete columns).

        ``conditions`` is ``None`` (cond vectors drawn from the training frequencies), a dict
        ``{column: value}`` applied to every sample, or a DataFrame with one row per sample
        (its length must equal ``n``; a NaN cell asks for a missing value). Discrete
        (categorical / boolean) columns take values, forced exactly; a value never seen in
        training raises ``ValueError``. Continuous (numerical / datetime) columns take exact
        values too, checked against the column (a number, or a timestamp; a whole number for
        integers; within the training range) and met exactly (see :meth:`generate`); in a
        dict they take a range ``(low, high)`` instead (``None`` for an open end), met by
        redrawing the rows outside it. With conditions on continuous columns, ``[low | high
        | value]`` per continuous column (float64, shifted space) is appended.
        """
        if conditions is None:
            return self._discrete_conditions(n, None)
        conditions = self._base_conditions(conditions)
        ranges: dict[Any, tuple[ContinuousColumn, Any]] = {}
        if isinstance(conditions, Mapping):
            if not conditions:
                raise ValueError("`conditions` is an empty dict.")
            rest = {}
            for col, value in conditions.items():
                t = self._transformer(col)
                if isinstance(t, ContinuousColumn) and isinstance(value, (tuple, list)):
                    ranges[col] = (t, value)
                else:
                    rest[col] = value
            conditions = rest or None
        frame = None if conditions is None else self._condition_frame(n, conditions)
        values: dict[Any, pd.Series] = {}
        if frame is not None:
            keep = []
            for i, col in enumerate(frame.columns):
                if isinstance(self._transformer(col), ContinuousColumn):
                    values[col] = frame.iloc[:, i]
                else:
                    keep.append(i)
            frame = frame.iloc[:, keep] if keep else None
        base = self._discrete_conditions(n, frame)
        if not ranges and not values:
            return base
        return self._continuous_conditions(n, base, ranges, values)

    def _continuous_conditions(
        self,
        n: int,
        base: torch.Tensor | None,
        ranges: dict[Any, tuple[ContinuousColumn, Any]],
        values: dict[Any, pd.Series],
    ) -> torch.Tensor:
        """``[cond vector | forced slots | low | high | value]``: the discrete conditions
        ``base`` and the ranges and exact values on continuous columns (shifted space)."""
        d, j = self.cond_dim, self._ranges.n
        if base is None:
            base = torch.zeros(n, 2 * d)
        elif not base.is_floating_point():  # slot ids -> [one-hot | nothing forced]
            base = torch.zeros(n, 2 * d).scatter_(1, base, 1.0)
        lo = torch.full((j,), -np.inf, dtype=torch.float64)
        hi = torch.full((j,), np.inf, dtype=torch.float64)
        for col, (t, value) in ranges.items():
            if len(value) != 2:
                raise ValueError(f"Condition on column {col!r}: give (low, high), got {value!r}.")
            low, high = (shifted_bound(t, v, col) for v in value)
            k = self._ranges.columns.index(self.columns_.index(col))
            lo[k] = -np.inf if np.isnan(low) else low
            hi[k] = np.inf if np.isnan(high) else high
            clip_lo, clip_hi = t.clip_bounds()
            if (t.enforce_min_max or t.integral_) and (lo[k] > clip_hi or hi[k] < clip_lo):
                raise ValueError(
                    f"Condition on column {col!r}: the range {tuple(value)!r} lies outside the "
                    "training range, where sampled values are clipped."
                )
            if lo[k] > hi[k]:
                raise ValueError(
                    f"Condition on column {col!r}: low {value[0]!r} > high {value[1]!r}."
                )
        target = torch.full((n, j), np.nan, dtype=torch.float64)
        for col, s in values.items():
            column = self._transformer(col)
            assert isinstance(column, ContinuousColumn)
            k = self._ranges.columns.index(self.columns_.index(col))
            wanted = shifted_targets(column, s.reset_index(drop=True), col)
            target[:, k] = torch.from_numpy(np.broadcast_to(wanted, (n,)).copy())
        # float64 keeps datetime bounds and values exact; generate() casts the rest back
        bounds = torch.cat([lo, hi]).expand(n, 2 * j)
        return torch.cat([base.double(), bounds, target], 1)

    def _base_conditions(self, conditions: Any) -> Any:
        """``conditions`` with those on derived columns moved to their source column (for
        equal and one-to-one columns; other derived columns refuse conditions)."""
        by_column = {r["column"]: r for r in self.derived_}
        given = list(conditions.columns) if isinstance(conditions, pd.DataFrame) else None
        if given is None and not isinstance(conditions, Mapping):
            return conditions
        keys = given if given is not None else list(conditions)
        if not any(k in by_column for k in keys):
            return conditions
        moved: dict[Any, Any] = {}
        for col in keys:
            value = conditions[col]
            rule = by_column.get(col)
            if rule is None:
                moved[col] = value
                continue
            src = rule.get("source")
            if not derived_rules.invertible(rule) or src in by_column:
                bases = derived_rules.base_columns(self.derived_, col)
                raise ValueError(
                    f"Column {col!r} is derived ({col} = {rule['expression']}) and takes no "
                    f"conditions; condition on {bases} instead (or fit with derived=None)."
                )
            if src in keys or src in moved:
                raise ValueError(
                    f"Conditions on both {col!r} and {src!r}: {col!r} is derived from {src!r} "
                    f"({rule['kind']}); give the condition on {src!r} only."
                )
            if isinstance(value, pd.Series):
                moved[src] = value.map(lambda v, r=rule: derived_rules.map_condition(r, v))
            elif isinstance(value, (tuple, list)) and rule["kind"] == "equal":
                moved[src] = value
            else:
                moved[src] = derived_rules.map_condition(rule, value)
        if given is not None:
            frame = pd.DataFrame({i: v for i, v in enumerate(moved.values())})
            frame.columns = pd.Index(list(moved), dtype=object, tupleize_cols=False)
            return frame
        return moved

    def _transformer(self, col: Any) -> Column | DerivedColumn:
        if col not in self.columns_:
            raise ValueError(f"Condition on unknown column {col!r}.")
        return self.transformers_[self.columns_.index(col)]

    def _discrete_conditions(self, n: int, frame: pd.DataFrame | None) -> torch.Tensor | None:
        """Conditions on the discrete and constant columns of ``frame`` (``None``: drawn)."""
        d = self.cond_dim
        if frame is None:
            if d == 0:
                return None
            cdf, bounds = self._empirical_cdf(torch.device("cpu"))
            return draw_conditions(cdf, bounds, n, torch.device("cpu")).unsqueeze(1)
        slots: list[tuple[int, np.ndarray]] = []  # (discrete column index, global slot ids)
        offsets = np.concatenate([[0], np.cumsum(self.cond_.widths)])
        for i, col in enumerate(frame.columns):
            t = self._transformer(col)
            values = frame.iloc[:, i]
            if isinstance(t, ConstantColumn):
                ok = values.map(lambda v, t=t: v == t.value_ or (v != v and t.value_ != t.value_))
                if not ok.all():
                    bad = values[~ok].iloc[0]
                    raise ValueError(f"Column {col!r}: value {bad!r} was never seen in training.")
                continue
            if not isinstance(t, DiscreteColumn):
                sdtype = self.metadata_["columns"][col]["sdtype"]
                raise ValueError(
                    f"Conditions on column {col!r} ({sdtype}) are not supported: ids are "
                    "generated fresh."
                )
            codes = t.codes(values.reset_index(drop=True), col)
            if t.has_other and (codes == len(t.categories_)).any():
                bad = values.iloc[int(np.argmax(codes == len(t.categories_)))]
                raise ValueError(
                    f"Column {col!r}: value {bad!r} is one of the rare values pooled in the "
                    f"'other' slot (max_categories={t.max_categories}); conditioning on it "
                    "needs a larger `max_categories`."
                )
            j = self._discrete.index(t)
            slots.append((j, offsets[j] + codes))
        out = torch.zeros(n, 2 * d)
        if not slots:
            return self._discrete_conditions(n, None)
        rows = torch.arange(n)
        # a model trained on multi-column vectors takes every condition; one trained on
        # one-hot vectors (multi_conditions=0, or saved by tabgan 0.1) only the first
        in_vector = slots if self.multi_condition_ > 0 else slots[:1]
        for _, slot_ids in in_vector:
            out[rows, torch.as_tensor(np.broadcast_to(slot_ids, (n,)).copy())] = 1.0
        for _, slot_ids in slots:
            out[rows, d + torch.as_tensor(np.broadcast_to(slot_ids, (n,)).copy())] = 1.0
        return out

    def _condition_frame(self, n: int, conditions: Any) -> pd.DataFrame:
        if isinstance(conditions, pd.DataFrame):
            if len(conditions) != n:
                raise ValueError(
                    f"The conditions DataFrame has {len(conditions)} rows but n={n}; pass "
                    "n=len(conditions) (one sample per conditions row)."
                )
            if conditions.columns.duplicated().any():
                raise ValueError("The conditions DataFrame has duplicate column names.")
            return conditions.reset_index(drop=True)
        if isinstance(conditions, Mapping):
            for col, value in conditions.items():
                if isinstance(value, (list, tuple, set, dict, np.ndarray, pd.Series)):
                    raise ValueError(
                        f"Condition on column {col!r}: give one value, got {value!r} (ranges "
                        "are for continuous columns)."
                    )
            frame = pd.DataFrame(
                {i: pd.Series([v], dtype=object) for i, v in enumerate(conditions.values())}
            )
            frame.columns = pd.Index(list(conditions.keys()), dtype=object, tupleize_cols=False)
            return frame
        raise TypeError(
            "`conditions` must be None, a dict {column: value} or a DataFrame, got "
            f"{type(conditions).__name__}."
        )

    # -- saving -------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        configs, tensors = [], {}
        for i, t in enumerate(self.transformers_):
            cfg, arrays = t.get_state()
            configs.append(cfg)
            for key, arr in arrays.items():
                tensors[f"{i}.{key}"] = torch.from_numpy(np.ascontiguousarray(arr))
        sdtypes = [self.metadata_["columns"][c]["sdtype"] for c in self.columns_]
        config = {
            "columns": [to_json(c) for c in self.columns_],
            "sdtypes": sdtypes,
            "transformers": configs,
            "layout": "by_width" if self.layout_.group_by_width else "by_column",
            "columns_index": self.columns_index_,
            "encode_seed": self.encode_seed_,
            "multi_conditions": self.multi_condition_,
        }
        if self.derived_:
            config["derived"] = derived_rules.to_state(self.derived_)
        if self._plan.active:
            config["constraints"] = self._plan.to_state()
            for step in self._plan.functions:
                warnings.warn(
                    f"{step.constraint!r}: a saved model holds no code, so its file only names "
                    f"the function; after loading, give it back with "
                    f"`synth.adapter_.set_formula({step.column!r}, function)` before sampling.",
                    UserWarning,
                    stacklevel=4,
                )
        return config, tensors

    def _set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """The state :meth:`_get_state` returned, or the one tabgan 0.1 saved (without
        ``columns_index``: a flat object Index; without ``layout``: spans by column)."""
        columns = [from_json(c) for c in config["columns"]]
        sdtypes, configs = config["sdtypes"], config["transformers"]
        if not (len(columns) == len(sdtypes) == len(configs)):
            raise ValueError("the tabular state's columns, sdtypes and transformers disagree")
        transformers: list[Column | DerivedColumn] = []
        for i, cfg in enumerate(configs):
            prefix = f"{i}."
            arrays = {
                k[len(prefix) :]: v.numpy() for k, v in tensors.items() if k.startswith(prefix)
            }
            if cfg.get("kind") == DerivedColumn.kind:
                transformers.append(DerivedColumn.from_state(cfg, arrays))
            else:
                transformers.append(column_from_state(cfg, arrays))
        self.columns_ = columns
        self.columns_index_ = config.get("columns_index") or dict(_FLAT_COLUMNS)
        self.metadata_ = {"columns": {c: {"sdtype": s} for c, s in zip(columns, sdtypes)}}
        # models saved before derived columns (or without any) model every column
        self.derived_ = derived_rules.from_state(config.get("derived", []))
        if self.derived_:
            self.metadata_["derived"] = self.derived_
        # models saved before constraints (or without any) have none
        self._plan = ConstraintPlan.from_state(config.get("constraints"))
        if self._plan.active:
            self.metadata_["constraints"] = self._plan.describe()
        self.transformers_ = transformers
        self.encode_seed_ = int(config.get("encode_seed", 0))  # 0.1 encoded with default_rng(0)
        # models saved before multi-column conditions were trained on one-hot vectors
        self.multi_condition_ = float(config.get("multi_conditions", 0.0))
        if self.privacy_ is not None:  # fitted under differential privacy
            self.metadata_["privacy"] = self.privacy_.get("columns", {})
        # models saved before the spans were grouped by width keep their column order
        self._build_layout(group_by_width=config.get("layout", "by_column") == "by_width")
