# Step 25: "Accept notifications from the MitID app." On Android 13 and
# later and on an iPhone, an app shows no notification until the system
# has asked me and I have allowed it; without it, "You'll receive a
# notification from the app when the waiting time is over" (step 7) never
# comes true on this phone. Android 12 and older allow notifications at
# install, and ask nothing.
@rules
Feature: Accepting notifications from the MitID app
  Accept notifications from the MitID app.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  # The tags choose the old phone; its partner on the rig is the new phone.
  @rule-notifications-asked @doc-25
  Scenario Outline: My new phone on <system> asks me to allow notifications when I accept them in the MitID app
    Given I have followed steps 1 to 24
    When I press "Accept notifications"
    Then I am asked to allow the MitID app to send me notifications
    When I allow the MitID app to send me notifications
    Then I see 'This app is now activated and ready to use'

    @android-14
    Examples: Android 13 and later ask
      | system              |
      | Android 14 (API 34) |

    @ios
    Examples: iPhones ask
      | system   |
      | iOS 17.5 |

  # With @android-13 the new phone is the Android 11 one.
  @doc-25 @android-13
  Scenario: My new phone on Android 11 allows notifications at install, and asks nothing
    Given I have followed steps 1 to 24
    When I press "Accept notifications"
    Then I see 'This app is now activated and ready to use'
