"""Small, hand-written, valid source files in each borough's layout.

The values are literal so that tests can assert on what lands in `raw`; the broken-file
corpus (tests/test_bad_input_corpus.py) is made by damaging these.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from foundation.identifiers import make_upn

UPN_1 = make_upn("205", 2001, 15, 1)
UPN_2 = make_upn("205", 2001, 12, 2)
UPN_10 = make_upn("205", 2002, 5, 10)
UPN_11 = make_upn("205", 2002, 1, 11)
UPN_KC = make_upn("207", 3001, 14, 5)
UPN_WCC = make_upn("213", 4001, 13, 7)

HF_REQUESTS = f"""\
LA Code,Child ID,UPN,ULN,UPN Unknown Reason,Surname,Forename,Date of Birth,Gender,Ethnicity,Postcode,Request ID,Date Request Received,Request Source,Young Person Request,Decision,Decision Date,Request Mediation,Request Tribunal,Assessment Outcome,Assessment Outcome Date,20 Week Exception,Assessment Mediation,Assessment Tribunal,Plan ID,Plan Start Date,Residential,Work Based Programme,Personal Budget,Other Arrangements,Direct Payments,Ceased Date,Cease Reason
205,C001,{UPN_1},,,Smith,Amy,14/03/2015,Female,WBRI,W6 9XX,R001,10/01/2023,School,N,Assess,15/02/2023,N,N,Issue plan,30/05/2023,N,N,N,P001,30/05/2023,,,N,N,,,
205,C002,{UPN_2},,,Jones,Ben,02/11/2012,Male,BAFR,W12 7AA,R002,05/06/2023,Parent/Young person,N,Not assess,01/07/2023,N,N,,,,,,,,,,,,,,
205,C001,{UPN_1},,,Smith,Amy,14/03/2015,Female,WBRI,W6 9XX,R003,01/09/2024,Health,N,Awaiting,,N,N,,,,,,,,,,,,,,
205,C003,,,UN1,Khan,Zara,01/06/2021,Female,ABAN,W14 0AB,R004,03/03/2022,School,N,Assess,01/04/2022,N,N,Issue plan,20/10/2022,Y,N,N,P004,20/10/2022,,,Y,N,E,31/08/2024,Moved outside England
"""

HF_PLACEMENTS = """\
LA Code,Placement ID,Plan ID,URN,UKPRN,Setting Code,Rank,Start Date,End Date,SEN Unit,Resourced Provision
205,PL1,P001,100001,,,1,01/09/2023,,N,N
205,PL2,P004,,,EHE,1,20/10/2022,31/08/2024,N,N
"""

HF_NEEDS = """\
LA Code,Child ID,Need,Rank,Date Recorded
205,C001,Autistic spectrum disorder,1,30/05/2023
205,C001,Speech language and communication needs,2,30/05/2023
205,C003,Hearing impairment,1,20/10/2022
"""

# P001 (from 30/05/2023): reviewed on time (decision in 21 days), then late (decision in 35
# days, amended); its next review, due 10/06/2026, is overdue on 30/11/2026. P004: on time,
# ceased before its next. P010 (from 15/12/2016): never reviewed, overdue since 15/12/2017.
HF_REVIEWS = """\
LA Code,Review ID,Plan ID,Review Date,Outcome,Decision Notified,Draft Amended Plan,Final Amended Plan
205,RV1,P001,20/05/2024,Maintain,10/06/2024,,
205,RV2,P001,10/06/2025,Amend,15/07/2025,15/07/2025,01/09/2025
205,RV3,P004,01/10/2023,Maintain,20/10/2023,,
"""

# P001 moves to secondary school in September 2026, its plan finalised before 15 February;
# P010 moved to a post-16 institution in September 2021, finalised 20 days after 31 March.
HF_PHASE_TRANSFERS = """\
LA Code,Phase Transfer ID,Plan ID,Transfer Type,Moving On,Statutory Deadline,Amended Plan Finalised
205,PT1,P001,Primary to secondary,01/09/2026,15/02/2026,10/02/2026
205,PT2,P010,School to post-16,01/09/2021,31/03/2021,20/04/2021
"""

HF_TRANSFERS = f"""\
LA Code,Child ID,UPN,ULN,UPN Unknown Reason,Surname,Forename,Date of Birth,Gender,Ethnicity,Postcode,Transfer ID,Statement Date,Transfer Review Start,Transfer Completed,Transfer Outcome,Plan ID,Ceased Date,Cease Reason
205,C010,{UPN_10},,,Brown,Cal,05/05/2005,Male,WBRI,W6 1AA,T001,01/02/2010,01/09/2016,15/12/2016,Plan issued,P010,,
205,C011,{UPN_11},,,Green,Dee,07/07/2001,Female,WIRI,W6 2BB,T002,01/02/2009,01/10/2016,,Ceased,,,
"""

# WP1 (from 12/07/2023): reviewed within 12 months (decision on day 28), then late with the
# decision still awaited; overdue again from 15/08/2026. Its move to secondary school in
# September 2025 has no final amended plan: open, past its 15 February deadline.
WCC_EXTRACT = f"""\
HDR|WCC|213|20261130
PER|W1|{UPN_WCC}|||Patel|Ria|20140102|2|AIND|W2 1AA
REQ|WR1|W1|20230301|SCH|N|ASSESS|20230405|N|N
ASM|WR1|ISSUE|20230712|N|N|N
PLN|WP1|WR1|W1|20230712|||N|N|
PLC|WPL1|WP1|100200|||1|20230901||N|N
NED|W1|AUT|1|20230712
REV|WRV1|WP1|20240701|MAINTAIN|20240729||
REV|WRV2|WP1|20250815||||
PHT|WPT1|WP1|PRISEC|20250901|20250215|
TRL|9
"""

LEDGER_HF = """\
Year,Period,Cost Centre,Subjective,Value Type,Amount
2017/18,1,H50100,5000,ACT,125000.50
2017/18,1,H50100,5000,BUD,130000.00
2017/18,1,H50100,9000,ACT,-2500.00
"""

DFE_CSV = """\
time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,new_la_code,old_la_code,la_name,breakdown_topic,breakdown,requests_received_in_year,request_outcome_six_weeks,request_outcome_six_weeks_pc
2023,Calendar year,Local authority,E92000001,England,E12000007,London,E09000013,205,Hammersmith and Fulham,All requests,All requests,512,480,93.8
2023,Calendar year,Local authority,E92000001,England,E12000007,London,E09000020,207,Kensington and Chelsea,All requests,All requests,c,x,z
"""


def sen2_xml(lea: str = "205", year: int = 2024, reference_date: str = "2024-01-18") -> str:
    """A valid two-person return in the shape of its collection year (the profiles): Sex or
    (2023) GenderCurrent, RequestSource and DSCO from 2025."""
    dsco = "<DSCO>Y</DSCO>" if year >= 2025 else ""
    sex_f, sex_m = (("<GenderCurrent>2</GenderCurrent>", "<GenderCurrent>1</GenderCurrent>") if year < 2024
                    else ("<Sex>F</Sex>", "<Sex>M</Sex>"))
    source_2, source_1 = (("<RequestSource>2</RequestSource>", "<RequestSource>1</RequestSource>")
                          if year >= 2025 else ("", ""))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>SEN2</Collection><Year>{year}</Year><ReferenceDate>{reference_date}</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA><SoftwareCode>test</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo><DateTime>2024-02-01T09:00:00</DateTime><DMO>Y</DMO><DCO>Y</DCO>{dsco}</Source>
  </Header>
  <Persons>
    <Person>
      <Surname>Smith</Surname><Forename>Amy</Forename><PersonBirthDate>2015-03-14</PersonBirthDate>
      {sex_f}<Ethnicity>WBRI</Ethnicity><PostCode>W6 9XX</PostCode><UPN>{UPN_1}</UPN>
      <Requests>
        <ReceivedDate>2023-01-10</ReceivedDate>{source_2}<RYA>0</RYA>
        <RequestOutcomeDate>2023-02-15</RequestOutcomeDate><RequestOutcome>Y</RequestOutcome>
        <RequestMediation>0</RequestMediation><RequestTribunal>0</RequestTribunal>
        <Assessment>
          <AssessmentOutcome>Y</AssessmentOutcome><AssessmentOutcomeDate>2023-05-30</AssessmentOutcomeDate>
          <AssessmentMediation>0</AssessmentMediation><AssessmentTribunal>0</AssessmentTribunal>
          <OtherMediation>0</OtherMediation><OtherTribunal>0</OtherTribunal><Week20>0</Week20>
          <NamedPlan>
            <StartDate>2023-05-30</StartDate>
            <PlanDetail><URN>100001</URN><PlacementRank>1</PlacementRank><SENunitIndicator>0</SENunitIndicator><ResourcedProvisionIndicator>0</ResourcedProvisionIndicator></PlanDetail>
            <PB>0</PB><OA>0</OA>
          </NamedPlan>
        </Assessment>
        <ActivePlans>
          <PlacementDetail><URN>100001</URN><PlacementRank>1</PlacementRank><EntryDate>2023-09-01</EntryDate><SENunitIndicator>0</SENunitIndicator><ResourcedProvisionIndicator>0</ResourcedProvisionIndicator></PlacementDetail>
          <SENneed><SENtype>ASD</SENtype><SENtypeRank>1</SENtypeRank></SENneed>
          <SENneed><SENtype>SLCN</SENtype><SENtypeRank>2</SENtypeRank></SENneed>
        </ActivePlans>
      </Requests>
    </Person>
    <Person>
      <Surname>Jones</Surname><Forename>Ben</Forename><PersonBirthDate>2012-11-02</PersonBirthDate>
      {sex_m}<Ethnicity>BAFR</Ethnicity><PostCode>W12 7AA</PostCode><UPN>{UPN_2}</UPN>
      <Requests>
        <ReceivedDate>2023-06-05</ReceivedDate>{source_1}<RYA>false</RYA>
        <RequestOutcomeDate>2023-07-01</RequestOutcomeDate><RequestOutcome>N</RequestOutcome>
        <RequestMediation>0</RequestMediation><RequestTribunal>0</RequestTribunal>
      </Requests>
    </Person>
  </Persons>
</Message>
"""


class SourceFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _write(self, relative: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode(encoding))
        return path

    def hf_requests(self, text: str = HF_REQUESTS) -> Path:
        return self._write("HF/case/hf_ehc_requests_20261130.csv", text)

    def hf_case_dir(self) -> Path:
        self.hf_requests()
        self._write("HF/case/hf_placements_20261130.csv", HF_PLACEMENTS)
        self._write("HF/case/hf_needs_20261130.csv", HF_NEEDS)
        self._write("HF/case/hf_reviews_20261130.csv", HF_REVIEWS)
        self._write("HF/case/hf_transfers_20261130.csv", HF_TRANSFERS)
        self._write("HF/case/hf_phase_transfers_20261130.csv", HF_PHASE_TRANSFERS)
        return self.root / "HF" / "case"

    def wcc_extract(self, text: str = WCC_EXTRACT) -> Path:
        return self._write("WCC/case/wcc_send_20261130.psv", text)

    def sen2_return(self, text: str | None = None, name: str = "HF_SEN2_2024.xml") -> Path:
        return self._write(f"HF/sen2/{name}", text if text is not None else sen2_xml())

    def hf_ledger(self, text: str = LEDGER_HF, name: str = "HF_ledger_2017-18_P01.csv") -> Path:
        return self._write(f"HF/ledger/{name}", text)

    def dfe_csv(self, text: str = DFE_CSV) -> Path:
        return self._write("dfe/release-2099/requests.csv", text)

    def kc_workbook(self, la_number: str = "207", mutate=None) -> Path:
        import openpyxl

        book = openpyxl.Workbook()
        info = book.active
        info.title = "Extract Info"
        info.append(["LA Number", la_number])
        info.append(["Extract Date", datetime(2026, 11, 30)])
        sheets = {
            "Children": (["Child No", "UPN", "ULN", "UPN Unknown", "Family Name", "Given Name", "DOB",
                          "Sex", "Ethnic Code", "Post Code"],
                         [["K1", UPN_KC, None, None, "Ali", "Sam", date(2014, 5, 6), "M", "MWBC", "W8 4AA"]]),
            "Requests": (["Request No", "Child No", "Received", "Source", "Requested By Young Person",
                          "Outcome", "Outcome Date", "Mediation", "Tribunal"],
                         [["KR1", "K1", date(2023, 2, 1), "2", 0, "Y", date(2023, 3, 1), 0, 0]]),
            "Assessments": (["Request No", "Outcome", "Outcome Date", "Exception", "Mediation", "Tribunal"],
                            [["KR1", "Y", date(2023, 6, 1), 0, 0, 0]]),
            "Plans": (["Plan No", "Request No", "Child No", "Issued", "Residential", "Work Based",
                       "Personal Budget", "Other Arrangements", "Direct Payments"],
                      [["KP1", "KR1", "K1", date(2023, 6, 1), None, None, 0, 0, None]]),
            "Placements": (["Placement No", "Plan No", "URN", "UKPRN", "Setting", "Rank", "From", "To",
                            "SEN Unit", "Resourced"],
                           [["KPL1", "KP1", "100300", None, None, 1, date(2023, 9, 1), None, 0, 1]]),
            "Needs": (["Child No", "Need", "Rank", "Recorded"], [["K1", "SEMH", 1, date(2023, 6, 1)]]),
            # KP1 (from 01/06/2023): reviewed on its due day (decision in 19 days, amended),
            # then within 12 months (decision in 33 days); overdue from 28/05/2026
            "Reviews": (["Review No", "Plan No", "Date", "Outcome", "Decision Notified", "Draft Issued",
                         "Final Issued"],
                        [["KRV1", "KP1", date(2024, 6, 1), "A", date(2024, 6, 20), date(2024, 6, 20),
                          date(2024, 8, 15)],
                         ["KRV2", "KP1", date(2025, 5, 28), "M", date(2025, 6, 30), None, None]]),
            "Ceased": (["Plan No", "Ceased", "Reason"], []),
            "Transfers": (["Transfer No", "Child No", "Statement Date", "Review Started", "Transferred",
                           "Outcome"], []),
            # to secondary school in September 2025, finalised on the deadline day
            "Phase Transfers": (["Phase Transfer No", "Plan No", "Phase", "Transfer Date", "Due",
                                 "Finalised"],
                                [["KPT1", "KP1", "SEC", date(2025, 9, 1), date(2025, 2, 15),
                                  date(2025, 2, 15)]]),
        }
        if mutate:
            mutate(sheets)
        for name, (header, rows) in sheets.items():
            sheet = book.create_sheet(name)
            sheet.append(header)
            for row in rows:
                sheet.append(row)
        path = self.root / "KC" / "case" / "KC_SEND_Extract_20261130.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return path
