-- What the bank says of a line beyond its amount: that it reverses an entry booked before (MT940
-- RC/RD, camt.053 RvslInd, 冲正/冲账), or that it is a fee the bank charged or interest it paid.
alter table bank_statement_lines
    add column reversal boolean not null default false,
    add column kind text not null default '' check (kind in ('', 'fee', 'interest'));

-- A reversal and the line it reverses are resolved together ('reversed'); a fee or interest is
-- booked to an account of its own ('booked'), not written off.
alter table bank_statement_lines drop constraint line_states,
    add constraint line_states check (state in ('matched', 'open', 'returning', 'returned', 'written_off',
                                                'applied', 'reversed', 'booked'));
alter table suspense_resolutions drop constraint suspense_resolutions_action_check,
    add constraint suspense_resolutions_action_check
        check (action in ('match', 'return', 'write_off', 'reversal', 'bank_charge', 'interest'));

-- Where the bank's fees and interest on the escrow account are booked.
alter table accounts drop constraint accounts_kind_check, add constraint accounts_kind_check check (kind in (
    'funding', 'grant', 'supplier_payable', 'supplier_receivable', 'fee_income', 'guarantee_fund',
    'guarantee_advanced', 'capital', 'bank', 'suspense', 'reconciliation_differences',
    'financing_fund', 'financing_advanced', 'financing_income', 'supplier_financed',
    'supplier_financing_receivable', 'bank_charges', 'bank_interest'));
