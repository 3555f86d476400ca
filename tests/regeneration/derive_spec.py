"""Derives test revisions of openapi.json for the regeneration tests.

    python3 derive_spec.py change < openapi.json > changed.json
    python3 derive_spec.py older  < openapi.json > older.json

`change` adds a response field, an optional request field and an operation, and
removes an operation. `older` rewrites the spec into the older revision of the
API described in REFERENCE.md Appendix B.
"""

import copy
import json
import sys

ERRORS = {
    "4XX": {"$ref": "#/components/responses/Error"},
    "5XX": {"$ref": "#/components/responses/Error"},
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def ok(schema, description="OK"):
    return {
        "description": description,
        "content": {"application/json": {"schema": ref(schema)}},
    }


def operation(op_id, summary, response, body=None, params=None, tag="loans"):
    op = {
        "operationId": op_id,
        "summary": summary,
        "tags": [tag],
        "responses": {"200": ok(response), **ERRORS},
    }
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return op


def obj(required, **props):
    return {"type": "object", "required": list(required), "properties": props}


def change(spec):
    schemas = spec["components"]["schemas"]
    schemas["Loan"]["properties"]["riskBand"] = {
        "type": "string",
        "description": "Risk band (test field).",
    }
    schemas["CreateCustomerRequest"]["properties"]["mobileNo"] = {
        "type": "string",
        "description": "Mobile number (test field).",
    }
    schemas["LoanStatement"] = {
        **obj(["loanId"], loanId={"type": "string"}, generatedOn={"type": "string"}),
        "additionalProperties": {},
    }
    spec["paths"]["/v1/loans/{loan_id}/statement"] = {
        "get": operation(
            "getLoanStatement",
            "Loan statement (test operation)",
            "LoanStatement",
            params=[{"$ref": "#/components/parameters/LoanId"}],
        )
    }
    del spec["paths"]["/v1/credit-scorecard/{external_id}"]
    return spec


def older(spec):
    spec["servers"] = [
        {"url": "https://api-dev.bsa.ai", "description": "older revision's main API"}
    ]
    paths = spec["paths"]
    # B.2: no /external/ forms, no adjust-disbursement-date, rollback, credit-balance-refund, repayment list.
    dropped = (
        "/external/",
        "adjust-disbursement-date",
        "rollback",
        "credit-balance-refund",
    )
    for path in list(paths):
        if any(part in path for part in dropped):
            del paths[path]
    paths["/v1/loans/{loan_id}/repayments"].pop("get", None)
    schemas = spec["components"]["schemas"]
    date = {"type": "string", "format": "date"}
    # B.4: the full customer create body and activation.
    schemas["CreateCustomerRequest"] = obj(
        ["officeId", "active"],
        officeId={"type": "integer"},
        firstname={"type": "string"},
        lastname={"type": "string"},
        middlename={"type": "string"},
        fullname={"type": "string"},
        mobileNo={"type": "string"},
        emailAddress={"type": "string"},
        externalId={"type": "string"},
        genderId={"type": "integer"},
        clientTypeId={"type": "integer"},
        legalFormId={"type": "integer"},
        active={"type": "boolean"},
        activationDate=date,
        submittedDate=date,
    )
    schemas["ActivateCustomerRequest"] = obj(["activationDate"], activationDate=date)
    paths["/v1/customers/{customer_id}/activate"] = {
        "post": operation(
            "activateCustomer",
            "Activate a pending customer",
            "Customer",
            "ActivateCustomerRequest",
            [{"$ref": "#/components/parameters/CustomerId"}],
            "customers",
        )
    }
    # B.3: submit with full terms, then approve, disburse, reject, withdraw.
    schemas["CreateLoanRequest"] = obj(
        [
            "customerId",
            "productId",
            "principal",
            "loanTermFrequency",
            "loanTermFrequencyType",
            "numberOfRepayments",
            "repaymentEvery",
            "repaymentFrequencyType",
            "interestRatePerPeriod",
            "amortizationType",
            "interestType",
            "interestCalculationPeriodType",
        ],
        customerId={"type": "integer"},
        productId={"type": "integer"},
        principal={"type": "number"},
        loanTermFrequency={"type": "integer"},
        loanTermFrequencyType={"type": "integer"},
        numberOfRepayments={"type": "integer"},
        repaymentEvery={"type": "integer"},
        repaymentFrequencyType={"type": "integer"},
        interestRatePerPeriod={"type": "number"},
        amortizationType={"type": "integer"},
        interestType={"type": "integer"},
        interestCalculationPeriodType={"type": "integer"},
        transactionProcessingStrategyCode={"type": "string"},
        expectedDisbursementDate=date,
        submittedOnDate=date,
        loanType={"type": "string"},
    )
    schemas["ApproveLoanRequest"] = obj(
        ["approvedOnDate"],
        approvedOnDate=date,
        approvedLoanAmount={"type": "number"},
        expectedDisbursementDate=date,
        note={"type": "string"},
    )
    schemas["DisburseLoanRequest"] = obj(
        ["actualDisbursementDate"],
        actualDisbursementDate=date,
        transactionAmount={"type": "number"},
        paymentTypeId={"type": "integer"},
        note={"type": "string"},
    )
    loan_id = [{"$ref": "#/components/parameters/LoanId"}]
    for action, op_id, body in [
        ("approve", "approveLoan", "ApproveLoanRequest"),
        ("disburse", "disburseLoan", "DisburseLoanRequest"),
        ("reject", "rejectLoan", "NoteRequest"),
        ("withdraw", "withdrawLoan", "NoteRequest"),
    ]:
        paths[f"/v1/loans/{{loan_id}}/{action}"] = {
            "post": operation(op_id, f"{action.title()} a loan", "Loan", body, loan_id)
        }
    # B.5: transactionDate required on the common body.
    body = schemas["TransactionCreateRequest"]
    body["required"] = sorted(set(body.get("required", [])) | {"transactionDate"})
    for name in ("idempotencyKey",):
        body["properties"].pop(name, None)
    # B.6: the loan delete answered 200 with an empty body.
    delete = paths["/v1/loans/{loan_id}"]["delete"]
    delete["responses"] = {"200": {"description": "Deleted (empty body)"}, **ERRORS}
    # B.6: the scorecard was keyed on a 12-digit mobile number and echoed it as an integer.
    del paths["/v1/credit-scorecard/{external_id}"]
    paths["/v1/credit-scorecard/{mobile_number}"] = {
        "get": operation(
            "getCreditScorecard",
            "Credit scorecard by mobile number",
            "CreditScorecard",
            params=[
                {
                    "name": "mobile_number",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            tag="credit",
        )
    }
    score = schemas["CreditScorecard"]["properties"]
    for gone in ("externalId", "totalOutstanding", "totalPaid", "availableCreditLimit"):
        score.pop(gone, None)
    score["mobileNumber"] = {
        "type": "integer",
        "description": "Echo of the mobile number.",
    }
    # B.5: the transaction carried loanId, fees, penalties, externalId and no alternate names.
    tx = schemas["Transaction"]["properties"]
    for gone in ("status", "overpayment", "penalty"):
        tx.pop(gone, None)
    return spec


def drop_stale_replay_facts(spec):
    """Replay facts (`x-bsa-replay`) may name only what the derived revision still has:
    a body field that is gone, or a lookup operation that is gone, drops that fact."""
    ops = [
        op
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    ]
    ids = {op.get("operationId") for op in ops}
    for op in ops:
        facts = op.get("x-bsa-replay")
        if not facts:
            continue
        body = (
            op.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
        )
        name = body.get("$ref", "").rsplit("/", 1)[-1]
        fields = spec["components"]["schemas"].get(name, body).get("properties", {})
        key = facts.get("idempotencyKey")
        if key and key["field"] not in fields:
            del facts["idempotencyKey"]
        recovery = facts.get("recovery")
        if recovery and (
            recovery["lookup"] not in ids or recovery["key"] not in fields
        ):
            del facts["recovery"]
    return spec


def main():
    mode = sys.argv[1]
    spec = json.load(sys.stdin)
    spec = {"change": change, "older": older}[mode](copy.deepcopy(spec))
    spec = drop_stale_replay_facts(spec)
    json.dump(spec, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
